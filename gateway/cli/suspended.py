"""`helpdesk users suspended` and `users unsuspend`: addresses automatic mail skips.

An address is suspended after a hard bounce, after `[bounces] soft_limit` soft bounces in
a row, or after a complaint about our mail (an ARF feedback report). The listing says
since when, why, and which received report did it (`helpdesk inbound show ID` shows that
report whole); `unsuspend` lifts one, and the ticket the bounced or reported mail was
about gets a `suspension_lifted` event.
"""

from __future__ import annotations

from typing import Any

import click

from gateway.cli.context import get_config
from gateway.cli.output import emit, format_option, iso
from gateway.errors import HelpdeskError
from gateway.store import suspensions, tickets
from gateway.store.db import Database
from gateway.store.model import Bounce, Outbox, Ticket

COLUMNS = ("email", "since", "why", "report", "outbox", "ticket")


def _bounce(bounce: Bounce | None, ticket_id: int | None) -> dict[str, Any] | None:
    if bounce is None:
        return None
    return {
        "id": bounce.id,
        "inbound_id": bounce.inbound_id,
        "outbox_id": bounce.outbox_id,
        "ticket": ticket_id,
        "reason": bounce.reason,
        "status": bounce.status,
        "hard": bounce.hard,
        "received_at": iso(bounce.created_at),
    }


@click.command("suspended")
@format_option
@click.pass_context
def users_suspended(ctx: click.Context, fmt: str) -> None:
    """List the addresses automatic mail is suspended to, with why and since when."""
    database = Database.from_config(get_config(ctx))
    with database.read() as session:
        rows = []
        for held in suspensions.suspended(session):
            bounce = _bounce(held.bounce, held.ticket_id)
            rows.append(
                {
                    "email": held.email,
                    "since": iso(held.since),
                    "cause": held.cause,
                    "why": held.why,
                    "reason": held.reason,
                    "status": held.status,
                    "soft_count": held.soft_count,
                    "report": bounce["inbound_id"] if bounce else None,
                    "outbox": bounce["outbox_id"] if bounce else None,
                    "ticket": bounce["ticket"] if bounce else None,
                    "bounce": bounce,
                }
            )
    if fmt == "json":
        # The listing's flat copies of the bounce's ids are for the table and csv only.
        for row in rows:
            for key in ("report", "outbox", "ticket"):
                del row[key]
    emit(rows, COLUMNS, fmt, title="Suspended addresses")


@click.command("unsuspend")
@click.argument("email")
@click.pass_context
def users_unsuspend(ctx: click.Context, email: str) -> None:
    """Send automatic mail to EMAIL again after bounces or a complaint had suspended it."""
    address = email.strip().lower()
    database = Database.from_config(get_config(ctx))
    with database.write() as session:
        held = suspensions.lift(session, address)
        if held is None:
            raise HelpdeskError(f"{address} is not suspended")
        was = f"{held.cause} {held.reason} {held.status}".strip()
        bounce = session.get(Bounce, held.bounce_id) if held.bounce_id is not None else None
        row = session.get(Outbox, bounce.outbox_id) if bounce and bounce.outbox_id else None
        ticket = session.get(Ticket, row.ticket_id) if row and row.ticket_id else None
        if ticket is not None:
            tickets.add_event(session, ticket, "suspension_lifted", actor="cli", new=address)
    click.echo(f"unsuspended {address} (was: {was})")
