"""Addresses automatic mail no longer goes to: suspended by bounces or complaints, listed,
lifted.

A hard bounce suspends at once, soft bounces after `[bounces] soft_limit` in a row, and a
complaint (an ARF feedback report about our mail) at once, as a mailing service stops
writing to whoever reported its mail as spam. Each suspension keeps since when, its cause
and the bounce row that caused it, so that `helpdesk users suspended` can say why; an
administrator lifts it with `helpdesk users unsuspend`. Mail a person writes by hand
(an agent's answer) is not automatic and is never held by a suspension.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gateway.store.model import Bounce, Outbox, Suspension, utcnow
from gateway.store.precompiled import Precompiled

CAUSES = ("hard", "soft", "complaint")


@dataclass(frozen=True)
class Held:
    """One suspended address as the listing shows it."""

    email: str
    since: dt.datetime | None
    cause: str  # "hard", "soft", "complaint" ("" for a suspension older than causes)
    reason: str  # the bounce reason in sisimai's words, or the complaint's "feedback"
    status: str  # the status code, or the complaint's Feedback-Type
    soft_count: int
    bounce: Bounce | None  # the report that caused it, when still stored
    ticket_id: int | None = None  # the ticket the bounced or reported mail was about

    @property
    def why(self) -> str:
        """The cause in words: "hard bounce", "3 soft bounces", "complaint (abuse)"."""
        if self.cause == "complaint":
            return f"complaint ({self.status})" if self.status else "complaint"
        if self.cause == "soft":
            n = self.soft_count or 1
            return f"{n} soft bounce{'s' if n != 1 else ''} ({self.reason})"
        if self.cause == "hard":
            return f"hard bounce ({self.reason})"
        return self.reason


# The suspensions this session's transaction has read, by address: the runner's batch asks
# for the same addresses (its agents') for every message. A change (`_row`) forgets them,
# as does a message rolled back (the runner clears `session.info`).
_SEEN = "helpdesk.suspensions"
# Precompiled: the runner asks for every message's requester (gateway.store.precompiled).
_SUSPENDED = Precompiled(
    select(Suspension.suspended, Suspension.reason, Suspension.status, Suspension.cause).where(
        Suspension.email == bindparam("email")
    )
)


class State(NamedTuple):
    """What the mailer reads of an address's suspension."""

    suspended: bool
    reason: str
    status: str
    cause: str


def state_of(session: Session, email: str) -> State | None:
    """The address's suspension as a plain row (None: never suspended), read once per
    transaction of `session` unless changed meanwhile."""
    seen: dict[str, State | None] = session.info.setdefault(_SEEN, {})
    if email not in seen:
        found = _SUSPENDED.rows(session.connection(), {"email": email})
        seen[email] = State(*found[0]) if found else None
    return seen[email]


def _row(session: Session, email: str) -> Suspension:
    session.info.pop(_SEEN, None)
    held = session.get(Suspension, email)
    if held is None:
        held = Suspension(email=email, suspended=False, soft_count=0, reason="", status="")
        session.add(held)
    return held


def count_bounce(
    session: Session,
    email: str,
    reason: str,
    status: str,
    hard: bool,
    bounce_id: int | None,
    soft_limit: int,
    now: dt.datetime | None = None,
) -> bool:
    """Count one bounce against `email`; True when this bounce suspended it."""
    now = now or utcnow()
    held = _row(session, email.lower())
    held.updated_at = now
    if held.suspended:
        return False  # the cause on record stays what suspended it; the bounce row remains
    held.soft_count = 0 if hard else held.soft_count + 1
    held.reason, held.status = reason, status
    if not (hard or held.soft_count >= soft_limit):
        return False
    held.suspended, held.suspended_at = True, now
    held.cause = "hard" if hard else "soft"
    held.bounce_id = bounce_id
    return True


def complain(
    session: Session,
    email: str,
    feedback_type: str,
    bounce_id: int | None,
    now: dt.datetime | None = None,
) -> bool:
    """Suspend `email` after its complaint; True when it was not suspended before."""
    now = now or utcnow()
    held = _row(session, email.lower())
    held.updated_at = now
    if held.suspended and held.cause == "complaint":
        return False
    # A complaint outweighs a bounce suspension that was already there: it is the cause
    # an administrator must know before lifting it.
    fresh = not held.suspended
    if fresh:
        held.suspended, held.suspended_at = True, now
    held.cause, held.reason, held.status = "complaint", "feedback", feedback_type[:20]
    held.bounce_id = bounce_id
    return fresh


def lift(session: Session, email: str, now: dt.datetime | None = None) -> Suspension | None:
    """Lift the suspension of `email`; the row as it was, or None when not suspended."""
    held = session.get(Suspension, email.strip().lower())
    if held is None or not held.suspended:
        return None
    held.suspended, held.soft_count, held.updated_at = False, 0, now or utcnow()
    return held


def suspended(session: Session) -> list[Held]:
    """Every suspended address, the latest suspended first, with the bounce that did it.

    One statement however many there are: the bounce and the ticket of its outgoing mail
    come by outer joins (a query per bounce, or an `IN` list of ids, grows with the list).
    """
    rows = session.execute(
        select(Suspension, Bounce, Outbox.ticket_id)
        .outerjoin(Bounce, Bounce.id == Suspension.bounce_id)
        .outerjoin(Outbox, Outbox.id == Bounce.outbox_id)
        .where(Suspension.suspended.is_(True))
        .order_by(Suspension.suspended_at.desc(), Suspension.email)
    )
    return [
        Held(r.email, r.suspended_at, r.cause, r.reason, r.status, r.soft_count, bounce, ticket)
        for r, bounce, ticket in rows
    ]
