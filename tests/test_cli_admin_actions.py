"""The admin's shell tools: tickets close/reopen/assign, quarantine discard, db backup."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from gateway import spool
from gateway.cli.main import main
from gateway.daemon.runner import Runner
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.store.db import Database, upgrade
from gateway.store.model import Event, Inbound, Ticket
from gateway.store.users import sync_agents
from tests.harness import mail, write_config


def prepared(tmp_path: Path) -> tuple[Path, Database]:
    path = write_config(tmp_path)
    cfg = config_mod.load(path)
    upgrade(cfg.database_url)
    db = Database.from_config(cfg)
    with db.write() as session:
        sync_agents(session, cfg)
        raw = mail("Не открывается 1С", "Ошибка при запуске, скриншот ниже.").as_bytes()
        spool.store(session, raw, source="smtp", rcpt_to=["support@example.com"])
    Runner(db, Services.from_config(cfg)).drain()
    return path, db


def cli(path: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(path), *args])


def test_close_reopen_assign(tmp_path: Path) -> None:
    path, db = prepared(tmp_path)
    closed = cli(path, "tickets", "close", "HD-1")
    assert closed.exit_code == 0, closed.output
    with db.read() as session:
        ticket = session.get(Ticket, 1)
        assert ticket is not None and ticket.closed
    reopened = cli(path, "tickets", "reopen", "1", "--by", "bob@example.com")
    assert reopened.exit_code == 0, reopened.output
    assigned = cli(path, "tickets", "assign", "hd-1", "Bob@Example.com")
    assert assigned.exit_code == 0 and "assigned to bob@example.com" in assigned.output
    with db.read() as session:
        ticket = session.get(Ticket, 1)
        assert ticket is not None and not ticket.closed
        kinds = [e.kind for e in session.scalars(select(Event).where(Event.ticket_id == 1))]
    assert "reopened" in kinds and "assignee" in kinds
    unknown = cli(path, "tickets", "close", "HD-99")
    assert unknown.exit_code == 1 and "no ticket HD-99" in unknown.output
    stranger = cli(path, "tickets", "assign", "1", "ivan@corp.example.org")
    assert stranger.exit_code == 1 and "is not an agent or admin" in stranger.output
    db.dispose()


def test_quarantine_discard_keeps_the_record(tmp_path: Path) -> None:
    path, db = prepared(tmp_path)
    with db.write() as session:
        row = spool.store(session, b"Subject: x\r\n\r\nbroken", source="smtp")
        row.state = "quarantined"
        row_id = row.id
    result = cli(path, "quarantine", "discard", str(row_id), "--reason", "junk")
    assert result.exit_code == 0, result.output
    with db.read() as session:
        kept = session.get(Inbound, row_id)
        assert kept is not None and kept.state == "discarded" and kept.raw
        assert kept.trace[-1].endswith(": junk")
    again = cli(path, "quarantine", "discard", str(row_id))
    assert again.exit_code == 1 and "not in quarantine" in again.output
    db.dispose()


def test_online_backup(tmp_path: Path) -> None:
    path, db = prepared(tmp_path)
    target = tmp_path / "backup" / "helpdesk-2026-05-04.db"
    target.parent.mkdir()
    with db.read() as session:  # a reader open meanwhile does not stop the copy
        session.scalar(select(Ticket.id))
        result = cli(path, "db", "backup", str(target))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT count(*) FROM tickets").fetchone() == (1,)
    copy.close()
    again = cli(path, "db", "backup", str(target))
    assert again.exit_code == 1 and "never overwrites" in again.output
    db.dispose()


def test_purge_drops_old_raw_mail_and_keeps_tickets(tmp_path: Path) -> None:
    import datetime as dt

    from sqlalchemy import update

    from gateway.store.model import Message, Outbox

    path, db = prepared(tmp_path)
    with db.write() as session:
        fresh = spool.store(session, b"Subject: new\r\n\r\nx", source="smtp")
        held = spool.store(session, b"Subject: held\r\n\r\nx", source="smtp")
        held.state = "held"
        fresh_id, held_id = fresh.id, held.id
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
        session.execute(update(Inbound).values(received_at=old))
        session.execute(update(Outbox).values(created_at=old, state="sent"))
    bad = cli(path, "purge", "--raw-older-than", "a year")
    assert bad.exit_code == 2 and "expected days such as 365d" in bad.output
    dry = cli(path, "purge", "--raw-older-than", "365d", "--dry-run")
    assert dry.exit_code == 0 and "would drop the raw mail of 1 received" in dry.output
    done = cli(path, "purge", "--raw-older-than", "365d")
    assert done.exit_code == 0, done.output
    with db.read() as session:
        rows = {r.id: r for r in session.scalars(select(Inbound))}
        assert rows[1].raw == b"" and rows[1].message_id
        assert rows[fresh_id].raw and rows[held_id].raw  # not processed: kept
        assert session.scalar(select(Ticket.id)) == 1
        assert session.scalars(select(Message)).first() is not None
        assert all(o.raw == b"" for o in session.scalars(select(Outbox)))
    db.dispose()


def test_purge_batches_read_the_partial_indexes(tmp_path: Path) -> None:
    """EXPLAIN QUERY PLAN of each batch (and of the dry run's count) on the migrated
    schema: the partial age indexes, never a scan of inbound or outbox."""
    import datetime as dt

    from sqlalchemy import func, select, text

    from gateway.cli.maintenance import batch_query, purgeable

    _path, db = prepared(tmp_path)
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
    with db.read() as session:
        session.execute(text("ANALYZE"))
        for _name, model, where in purgeable(cutoff):
            table = model.__tablename__
            for query in (batch_query(model, where), select(func.count()).where(*where)):
                compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
                plan = " | ".join(
                    str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
                )
                assert f"USING INDEX ix_{table}_purgeable" in plan or (
                    f"USING COVERING INDEX ix_{table}_purgeable" in plan
                ), plan
                assert f"SCAN {table}" not in plan, plan
    db.dispose()
