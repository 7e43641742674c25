"""Similar solved tickets: each ticket closed with an answer is remembered with the first
lines of that answer; a new ticket's notice lists the nearest ones."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.similar import examples
from gateway.similar.index import shared
from gateway.store.model import Ticket

INDEX = "solved"
ANSWER_LINES = 3


def remember(session: Session, ticket: Ticket, answer: str) -> None:
    """Keep a closed ticket and its closing answer (a re-close replaces the earlier one)."""
    examples.store(session, INDEX, ticket, answer=answer)


def _lines(answer: str) -> list[str]:
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    return [line[:200] for line in lines[:ANSWER_LINES]]


def similar(
    session: Session,
    database_key: str,
    prefix: str,
    text: str,
    k: int,
    min_score: float,
    exclude: int | None = None,
) -> list[dict[str, Any]]:
    """Up to `k` solved tickets like `text`, best first, for the templates."""
    if k <= 0:
        return []
    index = shared(database_key, INDEX)
    index.refresh_due(session)
    hits = index.query(text, k, exclude=exclude, floor=min_score)
    if not hits:
        return []
    found = session.execute(
        select(Ticket.id, Ticket.subject).where(Ticket.id.in_([h.ticket_id for h in hits]))
    )
    subjects = {row.id: row.subject for row in found}
    return [
        {
            "tag": f"{prefix}-{h.ticket_id}",
            "subject": subjects.get(h.ticket_id, ""),
            "answer_lines": _lines(h.answer),
            "score": round(h.score, 3),
        }
        for h in hits
    ]
