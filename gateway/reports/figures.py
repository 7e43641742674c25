"""The report's figures, computed in SQL with grouping: one statement per measure.

Every measure selects its rows through an index on its own time column (opened: created_at,
closed: resolved_at, ratings: at, reopenings: the events' kind and at), so that a month of a
database of millions costs a month's rows. Open at the end of the period is the open
tickets plus those resolved after it (both indexed), never a scan of everything opened
before. A ticket has a resolution time only while it is closed (reopening clears it), so
"closed in the period" is a range of that index alone. Percentiles: the database numbers
each group's sorted durations (window functions) and returns only the rows at the median
and p90 ranks. Spam is left out of every figure.

Durations are business seconds of each ticket's SLA level, pauses left out (kept on the
ticket by gateway.desk.clock). median: the middle value (the mean of the two middle ones);
p90: the nearest rank (the value below which 90 % of the tickets lie).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, literal, or_, select, true
from sqlalchemy.orm import Session, aliased

from gateway.desk import catalog
from gateway.settings.config import Config
from gateway.store.model import Event, Message, Rating, Ticket, User

BY = ("agent", "category", "criticality", "status", "source", "mailbox", "rating", "day")
_SPAM = catalog.SPAM


@dataclass(frozen=True)
class Times:
    """Median, p90 (nearest rank) and mean of a group's durations, and how many."""

    median_s: float | None = None
    p90_s: float | None = None
    mean_s: float | None = None
    count: int = 0

    def as_dict(self) -> dict[str, float | None]:
        return {"median_s": self.median_s, "p90_s": self.p90_s, "mean_s": self.mean_s}


@dataclass(frozen=True)
class Period:
    since: dt.datetime
    until: dt.datetime


def median(values: list[int]) -> float | None:
    if not values:
        return None
    n = len(values)
    mid = n // 2
    return float(values[mid]) if n % 2 else (values[mid - 1] + values[mid]) / 2


def p90(values: list[int]) -> float | None:
    if not values:
        return None
    return float(values[max(math.ceil(0.9 * len(values)) - 1, 0)])


def mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


Key = Callable[[Any], ColumnElement[Any]]


_ASSIGNEE = aliased(User, name="assignee")


def _key(by: str | None) -> tuple[Key, bool]:
    """The group key as a function of the measure's time column; whether it needs the
    assignee joined."""
    if by is None:
        return (lambda _t: literal("")), False
    if by == "day":
        return (lambda t: func.date(t)), False
    if by == "agent":
        return (lambda _t: func.coalesce(_ASSIGNEE.email, "")), True
    if by == "mailbox":
        return (
            lambda _t: case((Ticket.source.like("imap%"), Ticket.source), else_=literal(""))
        ), False
    if by == "rating":
        latest = (
            select(Rating.label)
            .where(Rating.ticket_id == Ticket.id)
            .order_by(Rating.id.desc())
            .limit(1)
            .correlate(Ticket)
            .scalar_subquery()
        )
        return (lambda _t: func.coalesce(latest, "")), False
    column: Any = {
        "category": Ticket.category,
        "criticality": Ticket.criticality,
        "status": Ticket.status,
        "source": Ticket.source,
    }[by]
    return (lambda _t: column), False


def _joined(query: Any, needs: bool) -> Any:
    return query.outerjoin(_ASSIGNEE, _ASSIGNEE.id == Ticket.assignee_id) if needs else query


def _in(column: Any, p: Period) -> ColumnElement[bool]:
    return and_(column >= p.since, column < p.until)


def _not_spam() -> ColumnElement[bool]:
    return Ticket.status != _SPAM


class Figures:
    """The report's measures for one period, grouped by one key (or none: the totals)."""

    def __init__(self, session: Session, cfg: Config, period: Period, by: str | None) -> None:
        if by is not None and by not in BY:
            raise ValueError(f"unknown grouping {by!r}; one of {', '.join(BY)}")
        self.session, self.cfg, self.p, self.by = session, cfg, period, by
        self.key, self.needs_assignee = _key(by)

    def _rows(self, query: Any) -> list[Any]:
        # Core rows through the session's connection: no ORM bookkeeping per row.
        return list(self.session.connection().execute(_joined(query, self.needs_assignee)))

    def opened(self) -> dict[str, tuple[int, int]]:
        """key -> (opened, of them extra work)."""
        k = self.key(Ticket.created_at)
        q = (
            select(k, func.count(), func.sum(case((Ticket.extra == true(), 1), else_=0)))
            .select_from(Ticket)
            .where(_in(Ticket.created_at, self.p), _not_spam())
            .group_by(k)
        )
        return {str(r[0] or ""): (int(r[1]), int(r[2] or 0)) for r in self._rows(q)}

    def closed(self) -> dict[str, tuple[int, int, int]]:
        """key -> (closed, breached, with an SLA level)."""
        k = self.key(Ticket.resolved_at)
        q = (
            select(
                k,
                func.count(),
                func.sum(case((Ticket.breached == true(), 1), else_=0)),
                func.sum(case((Ticket.sla_level != "", 1), else_=0)),
            )
            .select_from(Ticket)
            .where(_in(Ticket.resolved_at, self.p), _not_spam())
            .group_by(k)
        )
        return {str(r[0] or ""): (int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in self._rows(q)}

    def open_at_end(self) -> dict[str, int]:
        """Opened before the end and not resolved by then: still open, or resolved later."""
        k = self.key(Ticket.created_at)
        still = (
            select(k, func.count())
            .select_from(Ticket)
            .where(Ticket.closed == false(), Ticket.created_at < self.p.until)
            .group_by(k)
        )
        later = (
            select(k, func.count())
            .select_from(Ticket)
            .where(
                Ticket.resolved_at >= self.p.until,
                Ticket.created_at < self.p.until,
                _not_spam(),
            )
            .group_by(k)
        )
        found: dict[str, int] = defaultdict(int)
        for q in (still, later):
            for r in self._rows(q):
                found[str(r[0] or "")] += int(r[1])
        return dict(found)

    def first_responses(self) -> dict[str, Times]:
        return self._times(Ticket.first_response_s, Ticket.created_at, self.key)

    def resolutions(self) -> dict[str, Times]:
        return self._times(Ticket.resolution_s, Ticket.resolved_at, self.key)

    def total_times(self) -> tuple[Times, Times]:
        """(first response, resolution) over every group: the totals' percentiles."""
        whole: Key = lambda _t: literal("")  # noqa: E731
        first = self._times(Ticket.first_response_s, Ticket.created_at, whole).get("")
        resolution = self._times(Ticket.resolution_s, Ticket.resolved_at, whole).get("")
        return first or Times(), resolution or Times()

    def _times(self, value: Any, when: Any, key: Key) -> dict[str, Times]:
        """Median, p90 and mean of `value` per group of the rows whose `when` is in the
        period: the database numbers each group's sorted values (a window function) and
        returns only the rows at those ranks."""
        k = key(when)
        inner = (
            select(
                k.label("k"),
                value.label("v"),
                func.row_number().over(partition_by=k, order_by=value).label("rn"),
                func.count().over(partition_by=k).label("n"),
                func.avg(value).over(partition_by=k).label("mean"),
            )
            .select_from(Ticket)
            .where(_in(when, self.p), value.is_not(None), _not_spam())
        )
        inner = _joined(inner, self.needs_assignee and key is self.key).subquery()
        n, rn = inner.c.n, inner.c.rn
        q = select(inner.c.k, inner.c.v, rn, n, inner.c.mean).where(
            or_(rn == n // 2, rn == n // 2 + 1, rn == (n + 1) // 2, rn == (9 * n + 9) // 10)
        )
        ranked: dict[str, dict[int, int]] = defaultdict(dict)
        sizes: dict[str, tuple[int, float]] = {}
        for group, v, r, count, avg in self.session.execute(q):
            ranked[str(group or "")][int(r)] = int(v)
            sizes[str(group or "")] = (int(count), float(avg))
        found: dict[str, Times] = {}
        for group, (count, avg) in sizes.items():
            at = ranked[group]
            half = count // 2
            mid = float(at[half + 1]) if count % 2 else (at[half] + at[half + 1]) / 2
            found[group] = Times(mid, float(at[(9 * count + 9) // 10]), round(avg, 1), count)
        return found

    def messages_of_resolved(self) -> dict[str, int]:
        """key -> public messages on the tickets resolved in the period."""
        k = self.key(Ticket.resolved_at)
        q = (
            select(k, func.count(Message.id))
            .select_from(Ticket)
            .join(Message, Message.ticket_id == Ticket.id)
            .where(
                _in(Ticket.resolved_at, self.p),
                Message.hidden == false(),
                _not_spam(),
            )
            .group_by(k)
        )
        return {str(r[0] or ""): int(r[1]) for r in self._rows(q)}

    def ratings(self) -> dict[str, dict[str, int]]:
        """key -> {grade label: count} of the grades given in the period."""
        k = self.key(Rating.at) if self.by != "rating" else Rating.label
        q = (
            select(k, Rating.label, func.count())
            .select_from(Rating)
            .join(Ticket, Ticket.id == Rating.ticket_id)
            .where(_in(Rating.at, self.p))
            .group_by(k, Rating.label)
        )
        found: dict[str, dict[str, int]] = defaultdict(dict)
        for key, label, n in self._rows(q):
            found[str(key or "")][str(label)] = int(n)
        return dict(found)

    def mean_grades(self) -> dict[str, float]:
        """key -> mean grade position (1 = the first, best listed grade) given in the period."""
        k = self.key(Rating.at)
        q = (
            select(k, func.avg(Rating.grade + 1))
            .select_from(Rating)
            .join(Ticket, Ticket.id == Rating.ticket_id)
            .where(_in(Rating.at, self.p))
            .group_by(k)
        )
        return {str(r[0] or ""): round(float(r[1]), 2) for r in self._rows(q) if r[1] is not None}

    def reopened(self) -> dict[str, int]:
        k = self.key(Event.at)
        q = (
            select(k, func.count())
            .select_from(Event)
            .join(Ticket, Ticket.id == Event.ticket_id)
            .where(Event.kind == "reopened", _in(Event.at, self.p))
            .group_by(k)
        )
        return {str(r[0] or ""): int(r[1]) for r in self._rows(q)}

    def answered_by(self) -> dict[str, int]:
        """Agent email -> tickets they answered publicly in the period."""
        q = (
            select(User.email, func.count(func.distinct(Message.ticket_id)))
            .select_from(Message)
            .join(User, User.id == Message.author_id)
            .where(Message.kind == "answer", _in(Message.created_at, self.p))
            .group_by(User.email)
        )
        return {str(r[0]): int(r[1]) for r in self.session.execute(q)}

    def extra_tickets(self, limit: int = 50) -> list[dict[str, Any]]:
        """The extra-work tickets opened in the period, newest first (highlighted)."""
        q = (
            select(Ticket.id, Ticket.subject, Ticket.status)
            .where(Ticket.extra == true(), _in(Ticket.created_at, self.p), _not_spam())
            .order_by(Ticket.created_at.desc())
            .limit(limit)
        )
        prefix = self.cfg.helpdesk.tag_prefix
        return [
            {"tag": f"{prefix}-{r[0]}", "subject": r[1], "status": r[2]}
            for r in self.session.execute(q)
        ]


def daily(session: Session, period: Period) -> dict[str, dict[str, int]]:
    """Day (YYYY-MM-DD, UTC) -> opened, messages, closed, breached: the load charts."""
    days: dict[str, dict[str, int]] = defaultdict(
        lambda: {"opened": 0, "messages": 0, "closed": 0, "breached": 0}
    )
    day = func.date(Ticket.created_at)
    for d, n in session.execute(
        select(day, func.count()).where(_in(Ticket.created_at, period), _not_spam()).group_by(day)
    ):
        days[str(d)]["opened"] = int(n)
    mday = func.date(Message.created_at)
    for d, n in session.execute(
        select(mday, func.count()).where(_in(Message.created_at, period)).group_by(mday)
    ):
        days[str(d)]["messages"] = int(n)
    rday = func.date(Ticket.resolved_at)
    for d, n, b in session.execute(
        select(rday, func.count(), func.sum(case((Ticket.breached == true(), 1), else_=0)))
        .where(
            Ticket.closed == true(),
            _in(Ticket.resolved_at, period),
            Ticket.sla_level != "",
            _not_spam(),
        )
        .group_by(rday)
    ):
        days[str(d)]["closed"] = int(n)
        days[str(d)]["breached"] = int(b or 0)
    return dict(sorted(days.items()))


def resolution_times(session: Session, period: Period) -> list[int]:
    """Every resolution time of the period, sorted (the distribution charts)."""
    q = (
        select(Ticket.resolution_s)
        .where(_in(Ticket.resolved_at, period), Ticket.resolution_s.is_not(None), _not_spam())
        .order_by(Ticket.resolution_s)
    )
    return [int(v or 0) for v in session.scalars(q)]


def messages_per_ticket(session: Session, period: Period) -> list[int]:
    """Public messages of each ticket resolved in the period (the histogram)."""
    q = (
        select(func.count(Message.id))
        .select_from(Ticket)
        .join(Message, Message.ticket_id == Ticket.id)
        .where(
            Ticket.closed == true(),
            _in(Ticket.resolved_at, period),
            Message.hidden == false(),
            _not_spam(),
        )
        .group_by(Ticket.id)
    )
    return [int(n) for n in session.scalars(q)]


__all__ = [
    "BY",
    "Figures",
    "Period",
    "Times",
    "daily",
    "mean",
    "median",
    "messages_per_ticket",
    "p90",
    "resolution_times",
]
