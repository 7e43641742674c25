"""`helpdesk imap status`: what each IMAP poller last recorded, read from the database."""

from __future__ import annotations

from typing import Any

import click

from gateway.cli.output import emit, format_option
from gateway.intake.imap import status as imap_status
from gateway.intake.imap.connect import mailbox_name
from gateway.settings.config import Config
from gateway.store.db import Database

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


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """Skipped messages show as their UIDs in a table or CSV; JSON keeps the details."""
    skipped = row.get("skipped")
    if isinstance(skipped, list):
        row = {**row, "skipped": " ".join(str(item.get("uid")) for item in skipped)}
    return row


@click.group("imap")
def imap() -> None:
    """IMAP mailboxes the daemon takes mail from."""


@imap.command("status")
@format_option
@click.pass_context
def status(ctx: click.Context, fmt: str) -> None:
    """Last success, backlog, last error and state of each mailbox's poller."""
    config = ctx.obj
    if not isinstance(config, Config):
        raise click.ClickException("no configuration loaded")
    db = Database.from_config(config)
    try:
        # A missing or unmigrated database is reported in one line by the CLI's group.
        rows = collect(config, db)
    finally:
        db.dispose()
    emit(rows if fmt == "json" else [_shown(r) for r in rows], COLUMNS, fmt, title="IMAP")
