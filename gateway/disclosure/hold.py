"""A held answer's receipt to its agent (the hold and `#send` are gateway.desk.double's)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.outgoing import mailer
from gateway.outgoing.mailer import Outgoing
from gateway.services import Services
from gateway.store.model import Ticket, User


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
