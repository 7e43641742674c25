"""SLA levels: which level a requester gets, and when a response and a resolution are due.

Targets are durations ("30m", "4h", "2d"). With business hours they count only working
time: a day ("1d") is one working day's hours, nights, weekends and holidays do not count.
Without business hours they count around the clock and a day is 24 hours.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from gateway.desk import ledger
from gateway.settings.config import Config
from gateway.settings.desk import SlaEntry, parse_duration


@dataclass(frozen=True)
class Calendar:
    """Working time: daily hours in a zone, working weekdays, holidays (dates or MM-DD)."""

    opens: dt.time | None = None
    closes: dt.time | None = None
    days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holidays: frozenset[str] = frozenset()
    tz: dt.tzinfo = dt.UTC

    @classmethod
    def of(cls, level: SlaEntry) -> Calendar:
        tz: dt.tzinfo = zoneinfo.ZoneInfo(level.timezone) if level.timezone else _local_zone()
        if not level.business_hours:
            return cls(tz=tz)
        start, _, end = level.business_hours.partition("-")
        closes = dt.time(23, 59, 59, 999999) if end == "24:00" else dt.time.fromisoformat(end)
        return cls(
            opens=dt.time.fromisoformat(start),
            closes=closes,
            days=frozenset(level.business_days),
            holidays=frozenset(level.holidays),
            tz=tz,
        )

    @property
    def business(self) -> bool:
        return self.opens is not None

    def day_length(self) -> dt.timedelta:
        if self.opens is None or self.closes is None:
            return dt.timedelta(days=1)
        return _at(dt.date(2000, 1, 3), self.closes, dt.UTC) - _at(
            dt.date(2000, 1, 3), self.opens, dt.UTC
        )

    def working(self, day: dt.date) -> bool:
        if day.isoweekday() not in self.days:
            return False
        return day.isoformat() not in self.holidays and day.strftime("%m-%d") not in self.holidays


def _local_zone() -> dt.tzinfo:
    return dt.datetime.now().astimezone().tzinfo or dt.UTC


def _at(day: dt.date, time: dt.time, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=tz)


def duration(text: str, calendar: Calendar) -> dt.timedelta | None:
    """A target as an amount of (business) time; None when unset or unreadable."""
    parts = parse_duration(text) if text else None
    if parts is None:
        return None
    days, hours, minutes = parts
    return days * calendar.day_length() + dt.timedelta(hours=hours, minutes=minutes)


def add_business_time(start: dt.datetime, amount: dt.timedelta, calendar: Calendar) -> dt.datetime:
    """The moment `amount` of working time after `start` (UTC in, UTC out)."""
    if not calendar.business:
        return start + amount
    # Wall-clock times of the zone, compared and added in UTC so that a day on which
    # daylight saving time changes has its real length; summed per day by the ledger.
    return ledger.of(calendar, start).add(start, amount)


def level_for(cfg: Config, groups: list[str]) -> SlaEntry | None:
    """The first level naming one of `groups`, else the first level naming no group."""
    for level in cfg.sla:
        if set(level.groups) & set(groups):
            return level
    return next((level for level in cfg.sla if not level.groups), None)


def level_named(cfg: Config, name: str) -> SlaEntry | None:
    return next((level for level in cfg.sla if level.name == name), None)


def due_times(
    level: SlaEntry, criticality: str, start: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(response due, resolution due) for a ticket of `criticality` opened at `start`."""
    target = next((t for t in level.targets if t.criticality == criticality), None)
    if target is None:
        return None, None
    calendar = Calendar.of(level)
    results: list[dt.datetime | None] = []
    for text in (target.response, target.resolve):
        amount = duration(text, calendar)
        results.append(None if amount is None else add_business_time(start, amount, calendar))
    return results[0], results[1]
