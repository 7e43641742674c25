"""A held answer: the agent's receipt about it, and its release by the agent's `#send`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.outgoing import mailer, outbox
from gateway.outgoing.mailer import Outgoing
from gateway.services import Services
from gateway.store.model import Outbox, Ticket, User


def tell_agent(
    session: Session,
    services: Services,
    ticket: Ticket,
    agent: User,
    reason: str,
    answer: str,
    in_reply_to: str | None,
) -> None:
    """The `disclosure_held` receipt: what was held, why, and how to send it anyway."""
    mailer.queue(
        session,
        services,
        ticket,
        Outgoing(
            event="disclosure_held",
            recipient=agent,
            context={"reason": reason, "text": answer},
            in_reply_to=in_reply_to,
        ),
    )


def release_for_ticket(session: Session, ticket: Ticket, by: str) -> int:
    """Queue every held mail of the ticket for sending; how many there were."""
    ids = session.scalars(
        select(Outbox.id).where(Outbox.ticket_id == ticket.id, Outbox.state == "held")
    ).all()
    return sum(1 for row_id in ids if outbox.release(session, row_id, by=by))
