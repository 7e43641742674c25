"""`helpdesk status`: the health figures, with a monitoring plugin's exit code.

0 OK, 1 WARNING, 2 CRITICAL (twice a limit, or an IMAP mailbox in error), 3 UNKNOWN
(the database cannot be read): what Nagios, Icinga and their kin expect of a check.
"""

from __future__ import annotations

import datetime as dt
import sys

import click

from gateway.cli.context import get_config
from gateway.cli.output import to_json
from gateway.intake.pipe import safe_reason
from gateway.monitor.health import UNKNOWN, Limits, measure
from gateway.store.db import Database


@click.command("status")
@click.option("--max-backlog-minutes", type=float, default=10.0, show_default=True,
              help="Warn when the oldest unprocessed message waits longer.")  # fmt: skip
@click.option("--max-outbox-failed", type=int, default=0, show_default=True,
              help="Warn above this many outgoing mails failed in 24 hours.")  # fmt: skip
@click.option("--max-quarantine", type=int, default=0, show_default=True,
              help="Warn above this many quarantined messages.")  # fmt: skip
@click.option("--max-imap-minutes", type=float, default=30.0, show_default=True,
              help="Warn when a mailbox's last successful poll is older.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def status(
    ctx: click.Context,
    max_backlog_minutes: float,
    max_outbox_failed: int,
    max_quarantine: int,
    max_imap_minutes: float,
    fmt: str,
) -> None:
    """Backlog, oldest unprocessed, outbox failures, quarantine, IMAP; exit 0/1/2/3."""
    limits = Limits(max_backlog_minutes, max_outbox_failed, max_quarantine, max_imap_minutes)
    try:
        database = Database.from_config(get_config(ctx))
        try:
            with database.read() as session:
                health = measure(session, dt.datetime.now(dt.UTC), limits)
        finally:
            database.dispose()
    except Exception as exc:  # a check that cannot look says UNKNOWN, never a traceback
        click.echo(f"UNKNOWN: cannot read the database: {safe_reason(exc)}")
        sys.exit(UNKNOWN)
    data = health.as_dict()
    if fmt == "json":
        click.echo(to_json(data))
    else:
        summary = "; ".join(data["problems"]) or "all well"
        click.echo(f"{data['level']}: {summary}")
        click.echo(f"backlog: {data['backlog']} (oldest {data['oldest_unprocessed'] or '-'})")
        outbox = ", ".join(f"{k} {v}" for k, v in data["outbox"].items())
        click.echo(f"outbox: {outbox}; failed in 24 h: {data['outbox_failed_24h']}")
        click.echo(f"quarantine: {data['quarantined']}; spam held: {data['spam_held']}")
        for box in data["imap"]:
            click.echo(
                f"imap {box['name']}: {box['state']}, last success {box['last_success'] or '-'}"
            )
    sys.exit(health.level)
