"""`helpdesk status`: the figures, a monitoring exit code, and queries whose cost does
not grow with the database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import event, update

from gateway import spool
from gateway.cli.main import main
from gateway.intake.imap.status import MailboxStatus, save
from gateway.monitor.health import CRITICAL, OK, WARNING, Limits, measure
from gateway.store.db import Database, upgrade
from gateway.store.model import Inbound, Outbox
from tests.harness import free_port, mail, write_config

NOW = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)


def setup(tmp_path: Path) -> tuple[Path, Database]:
    config = write_config(tmp_path)
    url = f"sqlite:///{tmp_path / 'var' / 'helpdesk.db'}"
    upgrade(url)
    return config, Database(url)


def spooled(db: Database, state: str, received: dt.datetime, n: int = 1) -> None:
    with db.write() as session:
        for i in range(n):
            raw = mail(f"Заявка {state} {i}", "текст", sender=f"u{i}@example.ru").as_bytes()
            row = spool.store(session, raw, source="smtp", rcpt_to=["support@example.com"])
            row.state, row.received_at = state, received


def outgoing(db: Database, state: str, created: dt.datetime) -> None:
    with db.write() as session:
        session.add(
            Outbox(kind="answer", mail_from="support@example.com", rcpt_to=["a@b.test"],
                   message_id="<x@example.com>", raw=b"x", state=state, created_at=created)
        )  # fmt: skip


def test_an_idle_desk_is_ok(tmp_path: Path) -> None:
    config, db = setup(tmp_path)
    spooled(db, "done", NOW - dt.timedelta(days=3), 5)
    with db.read() as session:
        health = measure(session, NOW)
    assert health.level == OK and health.backlog == 0 and health.oldest_unprocessed is None
    result = CliRunner().invoke(main, ["--config", str(config), "status"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: all well")
    db.dispose()


def test_levels_follow_the_limits(tmp_path: Path) -> None:
    _, db = setup(tmp_path)
    spooled(db, "new", NOW - dt.timedelta(minutes=15), 3)
    spooled(db, "new", NOW - dt.timedelta(minutes=1))
    spooled(db, "quarantined", NOW - dt.timedelta(hours=1))
    spooled(db, "held", NOW - dt.timedelta(hours=2), 2)
    outgoing(db, "failed", NOW - dt.timedelta(hours=30))  # older than a day: not counted
    outgoing(db, "failed", NOW - dt.timedelta(hours=1))
    outgoing(db, "queued", NOW)
    with db.write() as session:
        box = MailboxStatus(name="support@imap.example.com/INBOX", state="idle")
        box.last_success = "2026-05-04T11:50:00Z"
        save(session, box)
    with db.read() as session:
        health = measure(session, NOW, Limits(backlog_minutes=10, quarantine=1))
    assert health.backlog == 4 and health.held == 2 and health.quarantined == 1
    assert health.outbox == {"queued": 1, "failed": 2} and health.outbox_failed_24h == 1
    assert health.oldest_unprocessed == NOW - dt.timedelta(minutes=15)
    texts = dict((t, lvl) for lvl, t in health.problems)
    assert texts == {
        "oldest unprocessed message waits 15 min": WARNING,
        "1 outgoing mail(s) failed in 24 h": WARNING,
    }
    assert health.level == WARNING
    with db.read() as session:
        later = measure(session, NOW + dt.timedelta(minutes=30), Limits(outbox_failed=5))
    assert later.problems == [
        (CRITICAL, "oldest unprocessed message waits 45 min"),
        (WARNING, "1 message(s) in quarantine"),
        (WARNING, "IMAP support@imap.example.com/INBOX: last success 40 min ago"),
    ]
    db.dispose()


def test_cli_json_and_exit_code(tmp_path: Path) -> None:
    config, db = setup(tmp_path)
    spooled(db, "quarantined", dt.datetime.now(dt.UTC))
    with db.write() as session:
        box = MailboxStatus(name="helpdesk@mail.ru/INBOX")
        box.failed("LOGIN failed: [AUTHENTICATIONFAILED]", 60)
        save(session, box)
    db.dispose()
    result = CliRunner().invoke(main, ["--config", str(config), "status", "--format", "json"])
    assert result.exit_code == CRITICAL, result.output
    data = json.loads(result.output)
    assert data["level"] == "CRITICAL" and data["quarantined"] == 1
    assert "CRITICAL: IMAP helpdesk@mail.ru/INBOX: LOGIN failed" in data["problems"][-1]
    relaxed = CliRunner().invoke(main, ["--config", str(config), "status", "--max-quarantine", "5"])
    assert relaxed.exit_code == CRITICAL  # the mailbox still fails
    assert "quarantine: 1" in relaxed.output


def test_database_down_is_unknown(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    url = f"postgresql+psycopg://helpdesk@127.0.0.1:{free_port()}/helpdesk"
    config.write_text(config.read_text().replace("sqlite:///var/helpdesk.db", url))
    result = CliRunner().invoke(main, ["--config", str(config), "status"])
    assert result.exit_code == 3 and result.output.startswith("UNKNOWN: cannot read")
    assert "Traceback" not in result.output


def test_every_query_uses_an_index(tmp_path: Path) -> None:
    _, db = setup(tmp_path)
    spooled(db, "done", NOW, 50)
    with db.write() as session:
        session.execute(update(Inbound).values(state="done"))
    sent: list[tuple[str, Any]] = []

    def capture(_c: object, _cur: object, statement: str, params: Any, *_: object) -> None:
        sent.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", capture)
    with db.read() as session:
        measure(session, NOW)
    event.remove(db.engine, "before_cursor_execute", capture)
    assert len(sent) >= 6
    with db.engine.connect() as conn:
        for statement, params in sent:
            if "inbound" not in statement and "outbox" not in statement:
                continue
            plan = " ".join(
                str(r) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            )
            assert "USING" in plan and "SCAN inbound" not in plan, (statement, plan)
            assert "SCAN outbox" not in plan, (statement, plan)
    db.dispose()
