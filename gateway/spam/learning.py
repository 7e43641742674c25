"""Teaching the spam model: agents' corrections, releases from quarantine, answered tickets.

Every function learns at once and stores the new model version in the caller's
transaction, so what an agent taught survives a restart and reaches every daemon.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.spam.errors import ModelUnavailable, NotHeld, NothingToLearn
from gateway.spam.store import feature_context
from gateway.store.model import Inbound, Message, SpamLearning, Ticket, User, utcnow

if TYPE_CHECKING:
    from gateway.services import Services

log = logging.getLogger(__name__)

MARKER = "spam"  # the key of Inbound.origin holding the score and the release


def learn(
    session: Session,
    services: Services,
    inbound: Inbound,
    is_spam: bool,
    actor: str,
    *,
    kind: str = "correction",
) -> None:
    """Learn the raw message now; persist the new model version in this transaction.

    Raises ModelUnavailable when the stored model does not load.
    """
    cache = services.spam
    model = cache.for_update(session)
    model.learn(inbound.raw, is_spam, feature_context(services.cfg), services.cfg.spam.threshold)
    version = cache.save(session, model, actor)
    session.add(
        SpamLearning(
            at=utcnow(), kind=kind, is_spam=is_spam, inbound_id=inbound.id, actor=actor[:320]
        )
    )
    log.info(
        "spam model version %d: message #%s learned as %s (%s by %s)",
        version,
        inbound.id,
        "spam" if is_spam else "ham",
        kind,
        actor,
    )


def release(session: Session, services: Services, inbound: Inbound, actor: str) -> None:
    """Release a held message: learn it as ham, and queue it again to make its ticket.

    The message gets state "new" and a release marker in its origin, so that the runner
    processes it again and the spam stage lets it through whatever its score. A model that
    does not load does not keep the message in quarantine: it is released unlearned.
    """
    if inbound.state != "held":
        raise NotHeld(inbound.id, inbound.state)
    note = f"spam: released by {actor}"
    try:
        learn(session, services, inbound, False, actor)
    except ModelUnavailable as exc:
        log.warning("message #%d released without learning: %s", inbound.id, exc)
        note += " (not learned: the stored model cannot be used)"
    origin: dict[str, Any] = dict(inbound.origin or {})
    spam = dict(origin.get(MARKER) or {})
    spam.update(released_by=actor, released_at=utcnow().isoformat())
    origin[MARKER] = spam
    # Reassigned, not mutated: the JSON column only notices a new value.
    inbound.origin = origin
    inbound.trace = [*inbound.trace, note]
    inbound.state, inbound.attempts, inbound.stage, inbound.error = "new", 0, None, None
    inbound.processed_at = None


def released_by(inbound: Inbound) -> str | None:
    """Who released this message from quarantine, or None."""
    spam = (inbound.origin or {}).get(MARKER)
    if isinstance(spam, dict) and spam.get("released_by"):
        return str(spam["released_by"])
    return None


def reasons(top: list[Any], count: int = 5) -> str:
    """'b:viagra, url:tld=ru, …': the features that pushed a message towards spam.

    Named tokens first: a byte gram (``raw:'…'``) means little to an agent reading the
    digest, and is named only when no token pushed towards spam.
    """
    pushing = [str(name) for name, weight in top if weight > 0]
    readable = [name for name in pushing if not name.startswith("raw:")]
    return ", ".join((readable or pushing)[:count])


def suspect_score(inbound: Inbound) -> float:
    """The spam score of mail the spam stage found doubtful but let through; 0 otherwise."""
    spam = (inbound.origin or {}).get(MARKER)
    if not isinstance(spam, dict) or spam.get("held") or spam.get("released_by"):
        return 0.0
    return float(spam.get("score") or 0.0)


def first_inbound(session: Session, ticket: Ticket) -> Inbound | None:
    """The received mail a ticket was made from."""
    inbound_id = session.scalar(
        select(Message.inbound_id)
        .where(Message.ticket_id == ticket.id, Message.inbound_id.is_not(None))
        .order_by(Message.id)
        .limit(1)
    )
    return session.get(Inbound, inbound_id) if inbound_id is not None else None


def learn_ticket(
    session: Session, services: Services, ticket: Ticket, is_spam: bool, actor: str
) -> None:
    """Learn the mail a ticket was made from (`#spam`, or `#ham` on a ticket closed as spam)."""
    inbound = first_inbound(session, ticket)
    if inbound is None:
        raise NothingToLearn(ticket.id)
    learn(session, services, inbound, is_spam, actor)


def mark_spam(session: Session, services: Services, ticket: Ticket, actor: User) -> None:
    """`#spam` on a ticket: learn its first message as spam (the caller closes the ticket)."""
    learn_ticket(session, services, ticket, True, actor.email)


def learn_answered(session: Session, services: Services, ticket: Ticket, actor: str) -> str:
    """An agent answered `ticket`: its first message is confirmed ham; learn it once.

    Returns what was done, for the message's trace. Learning only from corrections can
    leave the model without ham to weigh spam against; these are free, sure labels.
    """
    inbound = first_inbound(session, ticket)
    if inbound is None:
        return "no received mail to learn"
    learned = session.scalar(
        select(SpamLearning.id).where(SpamLearning.inbound_id == inbound.id).limit(1)
    )
    if learned is not None:
        return f"message #{inbound.id} was learned before"
    try:
        learn(session, services, inbound, False, actor, kind="answer")
    except ModelUnavailable:
        return "not learned: the stored model cannot be used"
    return f"message #{inbound.id} learned as ham"
