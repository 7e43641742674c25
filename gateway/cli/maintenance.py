"""`helpdesk quarantine discard` and `helpdesk db backup`: the admin's upkeep.

A backup of SQLite uses SQLite's online backup API: a consistent copy taken while the
daemon runs (writers wait a moment, nobody fails). PostgreSQL is backed up with its own
tool, `pg_dump` (see the README), which this command names instead of half-doing it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from gateway.cli.context import get_config
from gateway.cli.output import iso
from gateway.errors import HelpdeskError
from gateway.store.db import Database
from gateway.store.model import Inbound, utcnow


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
