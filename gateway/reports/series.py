"""The charts' series: the load per local day, every resolution time, messages per ticket.

Days are those of the report's zone (gateway.reports.days); each statement reads one
index range (the covering report indexes, messages by creation time and by ticket).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import case, func, select, true
from sqlalchemy.orm import Session

from gateway.desk import catalog
from gateway.reports import days
from gateway.reports.figures import Period
from gateway.settings.config import Config
from gateway.store.model import Message, Ticket


def daily(session: Session, cfg: Config, period: Period) -> dict[str, dict[str, int]]:
    """Local day (YYYY-MM-DD) -> opened, messages, closed, breached: the load charts."""
    found: dict[str, dict[str, int]] = defaultdict(
        lambda: {"opened": 0, "messages": 0, "closed": 0, "breached": 0}
    )
    dialect = session.get_bind().dialect.name
    local = days.LocalDays(days.zone(cfg))
    spam = Ticket.status != catalog.SPAM
    opened = days.slot(Ticket.created_at, dialect)
    for s, n in session.execute(
        select(opened, func.count())
        .where(Ticket.created_at >= period.since, Ticket.created_at < period.until, spam)
        .group_by(opened)
    ):
        found[local(s)]["opened"] += int(n)
    written = days.slot(Message.created_at, dialect)
    for s, n in session.execute(
        select(written, func.count())
        .where(Message.created_at >= period.since, Message.created_at < period.until)
        .group_by(written)
    ):
        found[local(s)]["messages"] += int(n)
    resolved = days.slot(Ticket.resolved_at, dialect)
    for s, n, b in session.execute(
        select(resolved, func.count(), func.sum(case((Ticket.breached == true(), 1), else_=0)))
        .where(
            Ticket.resolved_at >= period.since,
            Ticket.resolved_at < period.until,
            Ticket.sla_level != "",
            spam,
        )
        .group_by(resolved)
    ):
        found[local(s)]["closed"] += int(n)
        found[local(s)]["breached"] += int(b or 0)
    return dict(sorted(found.items()))


def resolution_times(session: Session, period: Period) -> list[int]:
    """Every resolution time of the period, sorted (the distribution charts)."""
    q = select(Ticket.resolution_s).where(
        Ticket.resolved_at >= period.since,
        Ticket.resolved_at < period.until,
        Ticket.resolution_s.is_not(None),
        Ticket.status != catalog.SPAM,
    )
    return sorted(int(v or 0) for v in session.scalars(q))


def messages_per_ticket(session: Session, period: Period) -> list[int]:
    """Public messages of each ticket resolved in the period (the histogram): the tickets'
    own counts, off the resolved tickets' covering index."""
    q = select(Ticket.public_messages).where(
        Ticket.resolved_at >= period.since,
        Ticket.resolved_at < period.until,
        Ticket.public_messages > 0,
        Ticket.status != catalog.SPAM,
    )
    return [int(n) for n in session.scalars(q)]
