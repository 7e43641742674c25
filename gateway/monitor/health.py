"""The helpdesk's health from the database: backlog, outbox, quarantine, IMAP.

Every count goes through an index on `state` and touches only the rows in that state
(new, queued, failed, quarantined, held), which stay few however many tickets there
are: the cost is flat as the database grows (EXPLAIN in tests/test_status.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.intake.imap.status import read_all
from gateway.store.model import Inbound, Outbox

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
LEVELS = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}


@dataclass
class Limits:
    """When a figure is a warning; above twice a limit that is not 0 (or an IMAP error)
    it is critical."""

    backlog_minutes: float = 10.0
    outbox_failed: int = 0
    quarantine: int = 0
    imap_minutes: float = 30.0


@dataclass
class Health:
    backlog: int
    oldest_unprocessed: dt.datetime | None
    outbox: dict[str, int]
    outbox_failed_24h: int
    quarantined: int
    held: int
    imap: list[dict[str, Any]]
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def level(self) -> int:
        return max((level for level, _ in self.problems), default=OK)

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": LEVELS[self.level],
            "backlog": self.backlog,
            "oldest_unprocessed": _iso(self.oldest_unprocessed),
            "outbox": self.outbox,
            "outbox_failed_24h": self.outbox_failed_24h,
            "quarantined": self.quarantined,
            "spam_held": self.held,
            "imap": [
                {k: box.get(k) for k in ("name", "state", "last_success", "last_error")}
                for box in self.imap
            ],
            "problems": [f"{LEVELS[level]}: {text}" for level, text in self.problems],
        }


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat(timespec="seconds").replace("+00:00", "Z") if when else None


def _count(session: Session, model: Any, state: str) -> int:
    return int(session.scalar(select(func.count()).where(model.state == state)) or 0)


def measure(session: Session, now: dt.datetime, limits: Limits | None = None) -> Health:
    """The figures at `now`, and what in them is a problem against `limits`."""
    limits = limits or Limits()
    oldest_id = session.scalar(select(func.min(Inbound.id)).where(Inbound.state == "new"))
    oldest = (
        session.scalar(select(Inbound.received_at).where(Inbound.id == oldest_id))
        if oldest_id is not None
        else None
    )
    outbox = {state: _count(session, Outbox, state) for state in ("queued", "failed")}
    failed_24h = int(
        session.scalar(
            select(func.count()).where(
                Outbox.state == "failed", Outbox.created_at >= now - dt.timedelta(hours=24)
            )
        )
        or 0
    )
    health = Health(
        backlog=_count(session, Inbound, "new"),
        oldest_unprocessed=oldest,
        outbox=outbox,
        outbox_failed_24h=failed_24h,
        quarantined=_count(session, Inbound, "quarantined"),
        held=_count(session, Inbound, "held"),
        imap=read_all(session),
    )
    health.problems = _judge(health, now, limits)
    return health


def _judge(health: Health, now: dt.datetime, limits: Limits) -> list[tuple[int, str]]:
    problems: list[tuple[int, str]] = []

    def over(value: float, limit: float, text: str) -> None:
        if value > limit:
            # A limit of 0 ("any at all") makes a warning: someone should look, nothing
            # is down.
            problems.append((CRITICAL if 0 < 2 * limit < value else WARNING, text))

    if health.oldest_unprocessed is not None:
        age = (now - health.oldest_unprocessed).total_seconds() / 60
        over(age, limits.backlog_minutes, f"oldest unprocessed message waits {age:.0f} min")
    over(
        health.outbox_failed_24h,
        limits.outbox_failed,
        f"{health.outbox_failed_24h} outgoing mail(s) failed in 24 h",
    )
    over(health.quarantined, limits.quarantine, f"{health.quarantined} message(s) in quarantine")
    for box in health.imap:
        name = box.get("name", "?")
        if box.get("state") in ("backoff", "error"):
            problems.append((CRITICAL, f"IMAP {name}: {box.get('last_error') or box['state']}"))
            continue
        last = box.get("last_success")
        if box.get("state") in ("standby", "stopped"):
            continue
        if last is None:
            problems.append((WARNING, f"IMAP {name}: no successful poll yet"))
            continue
        seen = dt.datetime.fromisoformat(str(last).replace("Z", "+00:00"))
        age = (now - seen).total_seconds() / 60
        over(age, limits.imap_minutes, f"IMAP {name}: last success {age:.0f} min ago")
    return problems
