"""Storing text examples: a ticket's text (subject and first request) under an index, with
a label (a category) or an answer (the closing answer), replacing any earlier row."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from gateway.store.model import Message, TextExample, Ticket, utcnow

TEXT_CHARS = 4000

# Examples this process stored so far: an index that saw this count has nothing of this
# process's own to read again (gateway.similar.index.Index.refresh_due).
_stored = 0


def stored() -> int:
    return _stored


def ticket_text(session: Session, ticket: Ticket) -> str:
    """The subject and the first request: what the ticket is about."""
    first = session.scalar(
        select(Message.body)
        .where(Message.ticket_id == ticket.id, Message.kind == "request")
        .order_by(Message.id)
        .limit(1)
    )
    return f"{ticket.subject}\n{first or ''}"[:TEXT_CHARS]


def store(session: Session, index: str, ticket: Ticket, label: str = "", answer: str = "") -> None:
    global _stored
    _stored += 1
    session.execute(
        delete(TextExample).where(TextExample.index == index, TextExample.ticket_id == ticket.id)
    )
    session.execute(
        insert(TextExample).values(
            index=index,
            ticket_id=ticket.id,
            label=label,
            text=ticket_text(session, ticket),
            answer=answer[:TEXT_CHARS],
            at=utcnow(),
        )
    )
