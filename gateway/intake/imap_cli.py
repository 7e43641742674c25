"""`helpdesk imap status`: what each IMAP poller last recorded, read from the database."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import click

from gateway.config import Config
from gateway.db import Database
from gateway.intake import imap_status
from gateway.intake.imap_connect import mailbox_name

COLUMNS = (
    "name",
    "state",
    "last_success",
    "backlog",
    "last_error",
    "last_error_at",
    "stored",
    "skipped",
    "updated_at",
)


def collect(config: Config, db: Database) -> list[dict[str, Any]]:
    """One row per configured mailbox (never-polled ones too), plus persisted extras."""
    with db.read() as session:
        persisted = {row["name"]: row for row in imap_status.read_all(session)}
    rows: list[dict[str, Any]] = []
    for box in config.imap:
        name = mailbox_name(box)
        row = persisted.pop(name, None) or {
            "name": name,
            "host": box.host,
            "folder": box.folder,
            "state": "never run",
        }
        rows.append({**row, "configured": True})
    # Mailboxes removed from the config still show, so their last state is not hidden.
    rows += [{**row, "configured": False} for row in persisted.values()]
    return rows


def _cell(value: Any) -> str:
    if isinstance(value, list):  # skipped messages: their UIDs; JSON has the details
        return " ".join(str(item.get("uid")) for item in value)
    return "" if value is None else str(value)


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in COLUMNS])
        return out.getvalue().rstrip("\n")
    return _table(rows)


def _table(rows: list[dict[str, Any]]) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(*COLUMNS)
    for row in rows:
        table.add_row(*[_cell(row.get(c)) for c in COLUMNS])
    out = io.StringIO()
    Console(file=out, width=160, no_color=True).print(table)
    return out.getvalue().rstrip("\n")


@click.group("imap")
def imap() -> None:
    """IMAP mailboxes the daemon takes mail from."""


@imap.command("status")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.pass_context
def status(ctx: click.Context, fmt: str) -> None:
    """Last success, backlog, last error and state of each mailbox's poller."""
    config = ctx.obj
    if not isinstance(config, Config):
        raise click.ClickException("no configuration loaded")
    db = Database(config.database_url)
    try:
        rows = collect(config, db)
    except Exception as exc:  # the database may be missing or not migrated
        raise click.ClickException(f"cannot read IMAP status: {exc}") from exc
    finally:
        db.dispose()
    click.echo(render(rows, fmt))
