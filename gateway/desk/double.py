"""No double answers: an agent's answer is held when another agent answered the requester
since the mail this agent replied to; `#send` (or `helpdesk outbox release ID`) lets it go.

"The mail this agent replied to" is the newest of the helpdesk's mails to this agent that
the reply names (In-Reply-To, References); an answer written without one is not held, as
nothing says what its author had seen.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.outgoing import outbox
from gateway.store import tickets
from gateway.store.model import Event, Message, MessageRef, Outbox, Ticket, User, utcnow

HELD = "answer_held"
RELEASED = "answer_released"


def seen_at(session: Session, ticket: Ticket, agent: User, refs: list[str]) -> dt.datetime | None:
    """When the newest helpdesk mail to `agent` about `ticket` among `refs` was queued."""
    ids = [r for r in refs if r][-50:]
    if not ids:
        return None
    return session.scalar(
        select(MessageRef.created_at)
        .where(
            MessageRef.message_id.in_(ids),
            MessageRef.outgoing.is_(True),
            MessageRef.recipient_id == agent.id,
            MessageRef.ticket_id == ticket.id,
        )
        .order_by(MessageRef.created_at.desc())
        .limit(1)
    )


def other_answer(
    session: Session, ticket: Ticket, agent: User, refs: list[str], message: Message
) -> Message | None:
    """Another agent's answer to the requester since the mail `agent` replied to."""
    since = seen_at(session, ticket, agent, refs)
    if since is None:
        return None
    return session.scalar(
        select(Message)
        .where(
            Message.ticket_id == ticket.id,
            Message.kind == "answer",
            Message.author_id != agent.id,
            Message.created_at > since,
            Message.id != message.id,
        )
        .order_by(Message.id.desc())
        .limit(1)
    )


def record_hold(session: Session, ticket: Ticket, agent: User, message_id: str) -> int:
    """Note the held answer on the ticket; its outbox row id."""
    row_id = session.scalar(select(Outbox.id).where(Outbox.message_id == message_id))
    assert row_id is not None, "the held answer was just queued"
    tickets.add_event(session, ticket, HELD, actor=agent.email, new=str(row_id))
    return int(row_id)


def held_by(session: Session, ticket: Ticket, agent: User) -> list[Outbox]:
    """`agent`'s answers on `ticket` still held, oldest first."""
    ids = session.scalars(
        select(Event.new).where(
            Event.ticket_id == ticket.id, Event.kind == HELD, Event.actor == agent.email
        )
    )
    rows = [session.get(Outbox, int(i)) for i in ids if i and i.isdigit()]
    return [r for r in rows if r is not None and r.state == "held"]


def release(session: Session, ticket: Ticket | None, row: Outbox, actor: str) -> None:
    outbox.release(session, row.id, utcnow())
    if ticket is not None:
        tickets.add_event(session, ticket, RELEASED, actor=actor, new=str(row.id))
