"""The relay limit: at most so many mails about one ticket an hour, then agents confirm.

Two auto-responders that know nothing of Auto-Submitted (one at the requester, one at
an agent) answer each other through a ticket for ever; no header says so. Whatever the
detection misses, this bound holds: past `[loop] max_relayed_per_ticket_hour` mails of
a ticket to its requester side (requester, participants) in the last hour, further mail
to that side is kept in the outbox as `held` (with the reason) instead of being sent, and
the ticket's assignee (or every admin) is told once an hour, so that a person decides
(`helpdesk outbox retry ID` sends a held mail). Every such loop runs through mail to the
requester side, so bounding that side bounds it; notices and receipts to the staff are
not counted, or a busy ticket with several agents would be held for no loop at all.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from gateway.services import Services
from gateway.store import rows
from gateway.store.model import MessageRef, Outbox, Ticket, User, utcnow

# The notice to the agents that the limit was reached: never held itself.
HELD_EVENT = "relay_held"

# Mail to the requester side: its Message-ID is recorded as not private (mailer.py).
_SENT_SINCE = (
    select(func.count())
    .select_from(Outbox)
    .join(
        MessageRef,
        (MessageRef.message_id == Outbox.message_id) & (MessageRef.ticket_id == Outbox.ticket_id),
    )
    .where(
        Outbox.ticket_id == bindparam("ticket_id"),
        Outbox.created_at >= bindparam("since"),
        Outbox.state != "held",
        MessageRef.outgoing.is_(True),
        MessageRef.private.is_(False),
    )
)
_HELD_SINCE = (
    select(func.count())
    .select_from(Outbox)
    .where(
        Outbox.ticket_id == bindparam("ticket_id"),
        Outbox.created_at >= bindparam("since"),
        Outbox.state == "held",
    )
)


def hold_reason(
    session: Session,
    services: Services,
    ticket: Ticket,
    recipient: User,
    now: dt.datetime | None = None,
) -> str | None:
    """Why the next mail about `ticket` to `recipient` is to be held, or None."""
    limit = services.cfg.loop.max_relayed_per_ticket_hour
    if limit <= 0 or recipient.is_agent:
        return None
    since = (now or utcnow()) - dt.timedelta(hours=1)
    sent = rows.scalar(session, _SENT_SINCE, {"ticket_id": ticket.id, "since": since}) or 0
    if sent < limit:
        return None
    return (
        f"held: {sent} mails about this ticket to its requester side in the last hour "
        f"(limit {limit}, "
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
