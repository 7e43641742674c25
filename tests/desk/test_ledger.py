"""Business-time arithmetic by the ledger (running sums of day windows) against the plain
walk over every day that it replaced, on random moments of varied calendars: zones with
DST (Berlin, New York), a half-hour offset (Kolkata), holidays, a six-day week, 24:00."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pytest

from gateway.desk import clock, ledger, sla

UTC = dt.UTC


def walk_seconds(start: dt.datetime, end: dt.datetime, cal: sla.Calendar) -> int:
    """Working seconds by visiting each day (windows in UTC, as the ledger keeps them)."""
    if end <= start:
        return 0
    assert cal.opens is not None and cal.closes is not None
    total = dt.timedelta()
    day = start.astimezone(cal.tz).date()
    while day <= end.astimezone(cal.tz).date():
        if cal.working(day):
            opens = dt.datetime.combine(day, cal.opens, tzinfo=cal.tz).astimezone(UTC)
            closes = dt.datetime.combine(day, cal.closes, tzinfo=cal.tz).astimezone(UTC)
            begin, finish = max(start, opens), min(end, closes)
            if finish > begin:
                total += finish - begin
        day += dt.timedelta(days=1)
    return int(total.total_seconds())


def walk_add(start: dt.datetime, amount: dt.timedelta, cal: sla.Calendar) -> dt.datetime:
    assert cal.opens is not None and cal.closes is not None
    remaining = amount
    day = start.astimezone(cal.tz).date()
    for _ in range(ledger.MAX_DAYS):
        if cal.working(day):
            opens = dt.datetime.combine(day, cal.opens, tzinfo=cal.tz).astimezone(UTC)
            closes = dt.datetime.combine(day, cal.closes, tzinfo=cal.tz).astimezone(UTC)
            begin = max(start.astimezone(UTC), opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return begin + remaining
                remaining -= closes - begin
        day += dt.timedelta(days=1)
    raise ValueError("no working time")


def calendar(zone: str, hours: str, days: set[int], holidays: set[str]) -> sla.Calendar:
    start, _, end = hours.partition("-")
    closes = dt.time(23, 59, 59, 999999) if end == "24:00" else dt.time.fromisoformat(end)
    return sla.Calendar(
        opens=dt.time.fromisoformat(start),
        closes=closes,
        days=frozenset(days),
        holidays=frozenset(holidays),
        tz=zoneinfo.ZoneInfo(zone),
    )


CALENDARS = [
    calendar("Europe/Moscow", "09:00-18:00", {1, 2, 3, 4, 5}, {"01-01", "01-07", "2026-05-11"}),
    calendar("Europe/Berlin", "08:30-17:15", {1, 2, 3, 4, 5}, {"12-25", "12-26"}),
    calendar("America/New_York", "00:00-24:00", {1, 2, 3, 4, 5, 6, 7}, set()),
    calendar("Asia/Kolkata", "10:00-19:00", {1, 2, 3, 4, 5, 6}, {"2026-08-15"}),
    calendar("America/New_York", "01:00-03:30", {7}, set()),  # the DST night, Sundays only
]


@pytest.mark.parametrize("cal", CALENDARS, ids=lambda c: str(c.tz))
def test_ledger_agrees_with_the_walk(cal: sla.Calendar) -> None:
    rnd = random.Random(str(cal))
    base = dt.datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(300):
        start = base + dt.timedelta(seconds=rnd.uniform(0, 730 * 86400))
        end = start + dt.timedelta(seconds=rnd.choice((60, 3600, 86400, 40 * 86400)) * rnd.random())
        assert clock.business_seconds(start, end, cal) == walk_seconds(start, end, cal)
        # Earlier than anything asked so far: the ledger grows backwards too.
        early = start - dt.timedelta(days=rnd.uniform(0, 900))
        assert clock.business_seconds(early, start, cal) == walk_seconds(early, start, cal)
        amount = dt.timedelta(seconds=rnd.choice((0, 1, 1800, 9 * 3600, 5 * 86400)) * rnd.random())
        assert sla.add_business_time(start, amount, cal) == walk_add(start, amount, cal)
    exact = dt.timedelta(hours=2)
    for start in (base, base + dt.timedelta(days=100, hours=17, minutes=59)):
        assert sla.add_business_time(start, exact, cal) == walk_add(start, exact, cal)
        assert sla.add_business_time(start, dt.timedelta(0), cal) == walk_add(
            start, dt.timedelta(0), cal
        )


def test_a_calendar_without_working_time_is_an_error() -> None:
    never = calendar(
        "UTC",
        "09:00-18:00",
        {1},
        {f"2026-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 32)},
    )
    # Mondays of 2026 are all holidays, but 2027 has some: found past the year.
    at = sla.add_business_time(dt.datetime(2026, 1, 1, tzinfo=UTC), dt.timedelta(hours=1), never)
    assert at == dt.datetime(2027, 1, 4, 10, tzinfo=UTC)
    nothing = calendar("UTC", "09:00-18:00", set(), set())
    with pytest.raises(ValueError):
        sla.add_business_time(dt.datetime(2026, 1, 1, tzinfo=UTC), dt.timedelta(hours=1), nothing)
