"""Categories learnt from the agents: every `#category` an agent sets is an example at
once; a new ticket's category is the weighted vote of its nearest labelled tickets."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from gateway.similar import examples
from gateway.similar.index import shared
from gateway.store.model import Ticket

INDEX = "category"
NEIGHBOURS = 7


@dataclass(frozen=True)
class Guess:
    category: str
    confidence: float


def learn(session: Session, ticket: Ticket, category: str) -> None:
    """An agent set `category` on `ticket` (a correction replaces the earlier label)."""
    examples.store(session, INDEX, ticket, label=category)


def guess(
    session: Session, database_key: str, text: str, min_examples: int, min_score: float
) -> Guess | None:
    """The likeliest category for `text` and how sure (the share of the neighbours' votes)."""
    index = shared(database_key, INDEX)
    index.refresh_due(session)
    if len(index) < max(min_examples, 1):
        return None
    hits = index.query(text, NEIGHBOURS, floor=min_score)
    if not hits:
        return None
    votes: dict[str, float] = {}
    for h in hits:
        votes[h.label] = votes.get(h.label, 0.0) + h.score
    best = max(votes, key=lambda c: votes[c])
    return Guess(best, votes[best] / sum(votes.values()))
