"""The relay limit: at most so many mails about one ticket an hour, then agents confirm.

Two auto-responders that know nothing of Auto-Submitted (one at the requester, one at
an agent) answer each other through a ticket for ever; no header says so. Whatever the
detection misses, this bound holds: past `[loop] max_relayed_per_ticket_hour` received mails
relayed on a ticket in the last hour, further mail is kept in the outbox as `held` (with the
reason) instead of being sent, and the ticket's assignee (or every admin) is told once
an hour, so that a person decides (`helpdesk outbox retry ID` sends a held mail).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from gateway.services import Services
from gateway.store import fresh, rows
from gateway.store.model import Outbox, Ticket, User, utcnow
from gateway.store.precompiled import Precompiled

# The notice to the agents that the limit was reached: never held itself.
HELD_EVENT = "relay_held"

# Relayed mails are counted by the message that caused them: one requester's mail noticed
# to five agents is one relay, and mail no received message caused (the scheduler's, the
# CLI's) is none.
_SENT_SINCE = Precompiled(
    select(func.count(func.distinct(Outbox.inbound_id)))
    .select_from(Outbox)
    .where(
        Outbox.ticket_id == bindparam("ticket_id"),
        Outbox.created_at >= bindparam("since"),
        Outbox.state != "held",
    )
)
_HELD_SINCE = Precompiled(
    select(func.count())
    .select_from(Outbox)
    .where(
        Outbox.ticket_id == bindparam("ticket_id"),
        Outbox.created_at >= bindparam("since"),
        Outbox.state == "held",
    )
)


def hold_reason(
    session: Session, services: Services, ticket: Ticket, now: dt.datetime | None = None
) -> str | None:
    """Why the next mail about `ticket` is to be held, or None when it may go."""
    limit = services.cfg.loop.max_relayed_per_ticket_hour
    if limit <= 0:
        return None
    sent = fresh.relayed(session, ticket.id)
    if sent is None:  # a ticket the message in hand did not open: count in the database
        since = (now or utcnow()) - dt.timedelta(hours=1)
        sent = rows.scalar(session, _SENT_SINCE, {"ticket_id": ticket.id, "since": since}) or 0
    if sent < limit:
        return None
    return (
        f"held: {sent} received mails relayed on this ticket in the last hour (limit {limit}, "
        "[loop] max_relayed_per_ticket_hour); a loop is suspected — "
        "`helpdesk outbox retry ID` sends it"
    )


def first_hold(session: Session, ticket: Ticket, now: dt.datetime | None = None) -> bool:
    """Whether no mail of `ticket` was held in the last hour (the agents are told once)."""
    since = (now or utcnow()) - dt.timedelta(hours=1)
    return not rows.scalar(session, _HELD_SINCE, {"ticket_id": ticket.id, "since": since})


def staff_to_tell(session: Session, ticket: Ticket) -> list[User]:
    """The ticket's assignee, else every admin."""
    if ticket.assignee is not None:
        return [ticket.assignee]
    return list(session.scalars(select(User).where(User.role == "admin").order_by(User.id)))
