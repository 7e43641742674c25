"""`helpdesk escalation check [--now TIME]`: one escalation check, as the daemon's job does."""

from __future__ import annotations

import click

from gateway.cli.context import get_config
from gateway.cli.output import to_json
from gateway.cli.report import parse_moment
from gateway.escalation.check import run_check
from gateway.services import Services
from gateway.store.db import Database
from gateway.store.model import utcnow


@click.group("escalation")
def escalation_group() -> None:
    """SLA escalations."""


@escalation_group.command("check")
@click.option("--now", "now_text", help="Check as of this time (ISO, UTC); default now.")
@click.pass_context
def check_cmd(ctx: click.Context, now_text: str | None) -> None:
    """Warn and report breaches now; prints what was done as JSON."""
    cfg = get_config(ctx)
    now = parse_moment(now_text, "--now") if now_text else utcnow()
    database = Database.from_config(cfg)
    with database.write() as session:
        result = run_check(session, Services.from_config(cfg), now)
    click.echo(
        to_json(
            {
                "tickets": result.tickets,
                "milestones": result.milestones,
                "mails": result.mails,
                "skipped": result.skipped,
                "recipients": result.recipients,
            }
        )
    )
