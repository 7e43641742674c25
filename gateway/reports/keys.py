"""The report's group keys: the SQL expression a measure groups by, and the group's name.

Groups are read by raw key (the assignee's id, the UTC quarter-hour, the value) and named
here (the email, the local day of gateway.reports.days), so that no join or zone
conversion runs per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, null, select
from sqlalchemy.orm import Session

from gateway.reports import days
from gateway.settings.config import Config
from gateway.store.model import Ticket, User

BY = ("agent", "category", "criticality", "status", "source", "mailbox", "rating", "day")


def unmatched(column: Any) -> ColumnElement[Any]:
    """The column as an expression no index matches: grouped by a bare column, SQLite would
    walk that column's whole index to spare a sort of the period's few rows."""
    return func.coalesce(column, null())


class Keys:
    """The group key of one grouping (None: one group, the totals), and its names."""

    def __init__(self, session: Session, cfg: Config, by: str | None) -> None:
        self.session, self.by = session, by
        self.dialect = session.get_bind().dialect.name
        self._emails: dict[int, str] = {}
        self._days = days.LocalDays(days.zone(cfg))

    def key(self, when: Any) -> ColumnElement[Any]:
        """The raw group key of a row, as a function of the measure's time column."""
        by = self.by
        if by is None:
            return literal("")
        if by == "day":
            return days.slot(when, self.dialect)  # type: ignore[no-any-return]
        if by == "agent":
            return unmatched(Ticket.assignee_id)
        if by == "mailbox":
            return case((Ticket.source.like("imap%"), Ticket.source), else_=literal(""))
        if by == "rating":  # the latest grade's label, kept on the ticket
            return unmatched(Ticket.rating)
        column: Any = {
            "category": Ticket.category,
            "criticality": Ticket.criticality,
            "status": Ticket.status,
            "source": Ticket.source,
        }[by]
        return unmatched(column)

    def namer(self, raws: Iterable[Any]) -> Callable[[Any], str]:
        """The group's name of a raw key: the assignee's email, the local day, the value."""
        if self.by == "day":
            return lambda raw: self._days(raw) if raw is not None else ""
        if self.by == "agent":
            return self.emails_of(raws)
        return lambda raw: str(raw or "")

    def emails_of(self, raws: Iterable[Any]) -> Callable[[Any], str]:
        wanted = {int(r) for r in raws if r is not None} - set(self._emails)
        if wanted:
            rows = self.session.execute(select(User.id, User.email).where(User.id.in_(wanted)))
            self._emails.update({int(i): str(e) for i, e in rows})
        return lambda raw: self._emails.get(int(raw), "") if raw is not None else ""
