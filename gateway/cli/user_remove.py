"""`helpdesk users remove EMAIL`: forget a person, keep the desk's record.

Tickets are the desk's history (and other people's), so they are never deleted. The
person's row is anonymised instead: the address becomes `removed-ID@invalid` (a domain
`[outgoing] suppress_domains` never mails), the name and locale are emptied, and the role is
"client". Their Cc places on tickets, their suspension and their automatic-mail log go;
queued or held mail to them fails with the reason, so the outbox shows what was not sent.

It is refused while the person is an agent in the config ([[agents]] would bring them back
at once: edit the config first), or while they request, or are assigned, an open ticket
(close or reassign those first, with `helpdesk tickets close|assign`), so that no open
conversation loses its other side in silence. Mail they send later opens a fresh user.

The stored raw mail still holds their address in its headers; `helpdesk purge` drops raw
mail by age.
"""

from __future__ import annotations

import click
from sqlalchemy import delete, or_, select

from gateway.cli.context import get_config
from gateway.errors import HelpdeskError
from gateway.store.db import Database
from gateway.store.model import (
    AutoReplyLog,
    Outbox,
    Participant,
    Suspension,
    Ticket,
    User,
    utcnow,
)


@click.command("remove")
@click.argument("email")
@click.pass_context
def users_remove(ctx: click.Context, email: str) -> None:
    """Anonymise EMAIL's user; their tickets stay (see the README, "Removing a person")."""
    cfg = get_config(ctx)
    address = email.strip().lower()
    if any(a.email.strip().lower() == address for a in cfg.agents):
        raise HelpdeskError(
            f"{address} is one of [[agents]] in the config; remove it there first "
            "(and restart), then run this again"
        )
    database = Database.from_config(cfg)
    try:
        with database.write() as session:
            user = session.scalar(select(User).where(User.email == address))
            if user is None:
                raise HelpdeskError(f"no user {address}")
            open_refs = [
                t.tag(cfg.helpdesk.tag_prefix)
                for t in session.scalars(
                    select(Ticket)
                    .where(
                        Ticket.closed.is_(False),
                        or_(Ticket.requester_id == user.id, Ticket.assignee_id == user.id),
                    )
                    .order_by(Ticket.id)
                    .limit(20)
                )
            ]
            if open_refs:
                raise HelpdeskError(
                    f"{address} requests or is assigned open tickets: {', '.join(open_refs)}; "
                    "close or reassign them first (helpdesk tickets close|assign)"
                )
            stopped = 0
            pending = select(Outbox).where(Outbox.state.in_(("queued", "held")))
            for row in session.scalars(pending):
                if address in (r.lower() for r in row.rcpt_to):
                    row.state = "failed"
                    row.last_reply = "not sent: the recipient was removed (helpdesk users remove)"
                    stopped += 1
            session.execute(delete(Participant).where(Participant.user_id == user.id))
            session.execute(delete(Suspension).where(Suspension.email == address))
            session.execute(delete(AutoReplyLog).where(AutoReplyLog.address == address))
            user.email = f"removed-{user.id}@invalid"
            user.name, user.locale, user.group, user.role = "", "", "", "client"
            user_id, when = user.id, utcnow()
    finally:
        database.dispose()
    click.echo(
        f"removed {address}: user #{user_id} anonymised at {when:%Y-%m-%d %H:%M} UTC, "
        f"tickets kept, {stopped} pending mail(s) not sent"
    )
