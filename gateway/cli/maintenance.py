"""`helpdesk quarantine discard` and `helpdesk db backup`: the admin's upkeep.

A backup of SQLite uses SQLite's online backup API: a consistent copy taken while the
daemon runs (writers wait a moment, nobody fails). PostgreSQL is backed up with its own
tool, `pg_dump` (see the README), which this command names instead of half-doing it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gateway.cli.context import get_config
from gateway.cli.output import iso
from gateway.errors import HelpdeskError
from gateway.store.db import Database
from gateway.store.model import Inbound, utcnow

if TYPE_CHECKING:
    from sqlalchemy import Select


@click.command("discard")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.option("--reason", default="", help="Why, kept in the message's trace.")
@click.pass_context
def quarantine_discard(ctx: click.Context, ids: tuple[int, ...], reason: str) -> None:
    """Give up on quarantined or held messages: state "discarded", raw mail and trace kept."""
    database = Database.from_config(get_config(ctx))
    try:
        with database.write() as session:
            for row_id in ids:
                row = session.get(Inbound, row_id)
                if row is None or row.state not in ("quarantined", "held"):
                    raise HelpdeskError(f"message #{row_id} is not in quarantine")
                note = f"discarded at {iso(utcnow())}" + (f": {reason}" if reason else "")
                row.trace = [*row.trace, note]
                row.state = "discarded"
    finally:
        database.dispose()
    click.echo(f"discarded {len(ids)} message(s)")


@click.command("backup")
@click.argument("target", type=click.Path(path_type=Path))
@click.pass_context
def db_backup(ctx: click.Context, target: Path) -> None:
    """Copy the SQLite database to TARGET while the daemon runs (online backup)."""
    cfg = get_config(ctx)
    url = cfg.database_url
    if not url.startswith("sqlite:///"):
        raise HelpdeskError(
            "db backup copies SQLite databases; for PostgreSQL use "
            "pg_dump --format=custom --file=helpdesk.dump DBNAME (see the README)"
        )
    source = Path(url.removeprefix("sqlite:///"))
    if not source.is_file():
        raise HelpdeskError(f"no database at {source}")
    if target.exists():
        raise HelpdeskError(f"{target} exists; a backup never overwrites a file")
    partial = target.with_name(f".{target.name}.partial")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=1024)
            check = dst.execute("PRAGMA integrity_check").fetchone()
        finally:
            dst.close()
            src.close()
        if check is None or check[0] != "ok":
            raise HelpdeskError(f"the copy fails its integrity check: {check}")
        partial.rename(target)
    except sqlite3.Error as exc:
        raise HelpdeskError(f"backup failed: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"backed up {source} to {target}")


PURGE_BATCH = 1000


def _days(value: str) -> int:
    text = value.strip().lower().removesuffix("d")
    if not text.isdigit() or int(text) < 1:
        raise click.BadParameter(f"expected days such as 365d, not {value!r}")
    return int(text)


def purgeable(cutoff: dt.datetime) -> list[tuple[str, Any, tuple[Any, ...]]]:
    """What purge empties, table by table: processed (sent) rows older than `cutoff`
    whose raw bytes are kept. The partial indexes ix_inbound_purgeable and
    ix_outbox_purgeable hold exactly these rows by age, so a batch reads what it drops
    however large the tables have grown (the texts must be the index's, word for word)."""
    from sqlalchemy import text

    from gateway.store.model import PURGEABLE_INBOUND, PURGEABLE_OUTBOX, Outbox

    return [
        ("received", Inbound, (text(PURGEABLE_INBOUND), Inbound.received_at < cutoff)),
        ("sent", Outbox, (text(PURGEABLE_OUTBOX), Outbox.created_at < cutoff)),
    ]


def batch_query(model: Any, where: tuple[Any, ...]) -> Select[tuple[int]]:
    """The ids of the next batch to empty."""
    from sqlalchemy import select

    # Oldest first: the order the age index gives, which keeps the planner on it (rather
    # than on the state index, whose "sent" covers most of the outbox).
    age = model.received_at if model is Inbound else model.created_at
    return select(model.id).where(*where).order_by(age).limit(PURGE_BATCH)


def drop(session: Any, model: Any, ids: list[Any]) -> None:
    """Drop the raw bytes of these rows: a received message's `inbound_raw` row goes (and
    its spool row says when); a sent one's bytes are emptied in place."""
    from sqlalchemy import delete, update

    from gateway.store.model import InboundRaw

    if model is Inbound:
        session.execute(delete(InboundRaw).where(InboundRaw.inbound_id.in_(ids)))
        session.execute(update(Inbound).where(Inbound.id.in_(ids)).values(raw_dropped_at=utcnow()))
    else:
        session.execute(update(model).where(model.id.in_(ids)).values(raw=b""))


@click.command("purge")
@click.option("--raw-older-than", "older", required=True, help="Age such as 365d.")
@click.option("--dry-run", is_flag=True, help="Count only.")
@click.pass_context
def purge(ctx: click.Context, older: str, dry_run: bool) -> None:
    """Drop the raw bytes of processed mail older than the age given (in and out).

    Tickets, their messages, attachments and events stay; so do the rows of the spool and
    of the outbox with their Message-IDs, traces and checksums (duplicates are still
    recognised). Mail still new, quarantined, held or queued is never touched. Works in
    batches of 1000 rows, so the daemon's writers wait for moments, not minutes.
    """
    from sqlalchemy import func, select

    days = _days(older)
    cutoff = utcnow() - dt.timedelta(days=days)
    database = Database.from_config(get_config(ctx))
    counts = {}
    try:
        for name, model, where in purgeable(cutoff):
            total = 0
            while True:
                with database.write() as session:
                    if dry_run:
                        total = int(session.scalar(select(func.count()).where(*where)) or 0)
                        break
                    ids = list(session.scalars(batch_query(model, where)))
                    if not ids:
                        break
                    drop(session, model, ids)
                    total += len(ids)
            counts[name] = total
    finally:
        database.dispose()
    verb = "would drop" if dry_run else "dropped"
    click.echo(
        f"{verb} the raw mail of {counts['received']} received and {counts['sent']} sent "
        f"message(s) older than {days} days"
    )
