"""The report's figures, computed in SQL with grouping: one statement per measure.

Every measure selects its rows through an index on its own time column that carries all
it reads (opened: ix_tickets_report_created, closed and resolution times:
ix_tickets_report_resolved, ratings: at, reopenings: the events' kind and at), so a
period costs one range of one index, never the table rows. Open at the end of the period
is the open tickets plus those resolved after it (both indexed), never a scan of
everything opened before. A ticket has a resolution time only while it is closed
(reopening clears it), so "closed in the period" is a range of that index alone. Spam is
left out of every figure.

Counts are summed by the database. Durations are exact: the database returns each
group's values (a range of the covering index) and gateway.reports.times sorts them; the
totals' percentiles come from the same values, not from a second statement. Groups are
read by raw key (the assignee's id, the UTC quarter-hour) and named here (the email, the
local day: gateway.reports.days), so no join or zone conversion runs per row.

Durations are business seconds of each ticket's SLA level, pauses left out (kept on the
ticket by gateway.desk.clock).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, text, true
from sqlalchemy.orm import Session

from gateway.desk import catalog
from gateway.reports import times
from gateway.reports.keys import BY, Keys, unmatched
from gateway.reports.times import Times, mean, median, p90
from gateway.settings.config import Config
from gateway.store.model import Event, Message, Rating, Ticket

_SPAM = catalog.SPAM
# Word for word the partial index ix_tickets_report_open (SQLite, PostgreSQL).
OPEN = ("tickets.closed = 0", "tickets.closed = false")
# Word for word the partial index ix_messages_answers (SQLite matches the terms' text).
ANSWERS = "messages.kind = 'answer'"


@dataclass(frozen=True)
class Period:
    since: dt.datetime
    until: dt.datetime


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
        self.dialect = session.get_bind().dialect.name
        self.keys = Keys(session, cfg, by)
        # Each duration measure's sorted values per group, kept for the totals' percentiles.
        self._values: dict[str, list[list[int]]] = {}
        self._grades: dict[str, float] | None = None
        self._messages: dict[str, int] | None = None

    def key(self, when: Any) -> ColumnElement[Any]:
        return self.keys.key(when)

    def _namer(self, raws: Iterable[Any]) -> Callable[[Any], str]:
        return self.keys.namer(raws)

    def _rows(self, query: Any) -> list[Any]:
        """The driver's own tuples: the statement runs through SQLAlchemy (its parameters
        converted), the rows are fetched off the DB-API cursor, for a million of them cost
        a third of Row objects. Only plain values are selected (keys, counts, seconds)."""
        result = self.session.connection().execute(query)
        try:
            return list(result.cursor.fetchall())
        finally:
            result.close()

    def _summed(self, query: Any, width: int) -> dict[str, tuple[int, ...]]:
        """Rows (raw key, n1, n2, ...) summed per group name (several quarter-hours make
        one day)."""
        rows = self._rows(query)
        name = self._namer(r[0] for r in rows)
        found: dict[str, list[int]] = defaultdict(lambda: [0] * width)
        for r in rows:
            sums = found[name(r[0])]
            for i in range(width):
                sums[i] += int(r[i + 1] or 0)
        return {k: tuple(v) for k, v in found.items()}

    # -- the measures ------------------------------------------------------------------

    def opened(self) -> dict[str, tuple[int, int]]:
        """key -> (opened, of them extra work)."""
        k = self.key(Ticket.created_at)
        q = (
            select(k, func.count(), func.sum(case((Ticket.extra == true(), 1), else_=0)))
            .select_from(Ticket)
            .where(_in(Ticket.created_at, self.p), _not_spam())
            .group_by(k)
        )
        return {key: (v[0], v[1]) for key, v in self._summed(q, 2).items()}

    def closed(self) -> dict[str, tuple[int, int, int]]:
        """key -> (closed, breached, with an SLA level)."""
        k = self.key(Ticket.resolved_at)
        q = (
            select(
                k,
                func.count(),
                func.sum(case((Ticket.breached == true(), 1), else_=0)),
                func.sum(case((Ticket.sla_level != "", 1), else_=0)),
                func.sum(Ticket.public_messages),
            )
            .select_from(Ticket)
            .where(_in(Ticket.resolved_at, self.p), _not_spam())
            .group_by(k)
        )
        found = self._summed(q, 4)
        # The same range gives the messages per resolution (messages_of_resolved).
        self._messages = {key: v[3] for key, v in found.items()}
        return {key: (v[0], v[1], v[2]) for key, v in found.items()}

    def open_at_end(self) -> dict[str, int]:
        """Opened before the end and not resolved by then: still open, or resolved later."""
        k = self.key(Ticket.created_at)
        still = (
            select(k, func.count())
            .select_from(Ticket)
            .where(text(OPEN[self.dialect == "postgresql"]), Ticket.created_at < self.p.until)
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
            for key, v in self._summed(q, 1).items():
                found[key] += v[0]
        return dict(found)

    def first_responses(self) -> dict[str, Times]:
        return self._times("first_response", Ticket.first_response_s, Ticket.created_at)

    def resolutions(self) -> dict[str, Times]:
        return self._times("resolution", Ticket.resolution_s, Ticket.resolved_at)

    def total_times(self) -> tuple[Times, Times]:
        """(first response, resolution) over every group: the totals' percentiles, from the
        values the grouped measures read (each is read once when not yet)."""
        if "first_response" not in self._values:
            self.first_responses()
        if "resolution" not in self._values:
            self.resolutions()
        return (
            times.of_sorted_groups(self._values["first_response"]),
            times.of_sorted_groups(self._values["resolution"]),
        )

    def _times(self, measure: str, value: Any, when: Any) -> dict[str, Times]:
        """Median, p90 and mean of `value` per group of the rows whose `when` is in the
        period: every value off the covering index, sorted here."""
        k = self.key(when)
        q = (
            select(k, value)
            .select_from(Ticket)
            .where(_in(when, self.p), value.is_not(None), _not_spam())
        )
        rows = self._rows(q)
        # Grouped by the raw key first (an int, a quarter-hour), named per group after.
        by_raw: dict[Any, list[int]] = defaultdict(list)
        if self.by is None:
            by_raw[""] = [v for _, v in rows]
        else:
            for raw, v in rows:
                by_raw[raw].append(v)
        del rows
        name = self._namer(by_raw)
        grouped: dict[str, list[int]] = defaultdict(list)
        for raw, values in by_raw.items():
            grouped[name(raw)] += values
        found = {group: times.of(values) for group, values in grouped.items()}  # sorts them
        self._values[measure] = list(grouped.values())
        return found

    def messages_of_resolved(self) -> dict[str, int]:
        """key -> public messages on the tickets resolved in the period: the tickets' own
        counts (Ticket.public_messages), summed by closed() off the same index range."""
        if self._messages is None:
            self.closed()
        assert self._messages is not None
        return self._messages

    def ratings(self) -> dict[str, dict[str, int]]:
        """key -> {grade label: count} of the grades given in the period."""
        k = self.key(Rating.at) if self.by != "rating" else Rating.label
        q = (
            select(k, Rating.label, func.count(), func.sum(Rating.grade + 1))
            .select_from(Rating)
            .join(Ticket, Ticket.id == Rating.ticket_id)
            .where(_in(Rating.at, self.p))
            .group_by(k, Rating.label)
        )
        rows = self._rows(q)
        name = self._namer({r[0] for r in rows})
        found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        grades: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for key, label, n, positions in rows:
            found[name(key)][str(label)] += int(n)
            sums = grades[name(key)]
            sums[0] += int(positions or 0)
            sums[1] += int(n)
        if self.by != "rating":  # the same rows give the mean grades
            self._grades = {g: round(s / n, 2) for g, (s, n) in grades.items() if n}
        return {key: dict(v) for key, v in found.items()}

    def mean_grades(self) -> dict[str, float]:
        """key -> mean grade position (1 = the first, best listed grade) given in the period."""
        if self._grades is not None:
            return self._grades
        k = self.key(Rating.at)
        q = (
            select(k, func.sum(Rating.grade + 1), func.count())
            .select_from(Rating)
            .join(Ticket, Ticket.id == Rating.ticket_id)
            .where(_in(Rating.at, self.p))
            .group_by(k)
        )
        return {key: round(v[0] / v[1], 2) for key, v in self._summed(q, 2).items() if v[1]}

    def reopened(self) -> dict[str, int]:
        k = self.key(Event.at)
        q = (
            select(k, func.count())
            .select_from(Event)
            .join(Ticket, Ticket.id == Event.ticket_id)
            .where(Event.kind == "reopened", _in(Event.at, self.p))
            .group_by(k)
        )
        return {key: v[0] for key, v in self._summed(q, 1).items()}

    def answered_by(self) -> dict[str, int]:
        """Agent email -> tickets they answered publicly in the period (off the partial
        index of answers: the kind as text, for SQLite to match it)."""
        author = unmatched(Message.author_id)
        q = (
            select(author, func.count(func.distinct(Message.ticket_id)))
            .where(text(ANSWERS), _in(Message.created_at, self.p))
            .group_by(author)
        )
        rows = self._rows(q)
        names = self.keys.emails_of(r[0] for r in rows)
        return {names(r[0]): int(r[1]) for r in rows if r[0] is not None}

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


__all__ = ["BY", "Figures", "Period", "Times", "mean", "median", "p90"]
