"""Working time of a calendar day by day, with running sums: business-time arithmetic in
O(log days) instead of a walk over every day between two moments.

The escalation check and the clocks ask for the working seconds between a ticket's
opening and now, and for the moment a fraction of a target falls: for a ticket open for
months that walked (and converted to the zone) every day in between, several times per
ticket, which made one check over 100,000 open tickets cost seconds. A ledger keeps each
day's window (opening and closing in UTC, so a DST day has its real length) and the sum of
the days before it; it grows to cover what is asked, and is shared by every ticket of the
calendar (a cache of a pure function of the calendar, so sharing it changes no result).
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections.abc import Hashable
from typing import Protocol


class Calendar(Hashable, Protocol):
    """What a ledger reads of gateway.desk.sla.Calendar (frozen, so hashable)."""

    @property
    def opens(self) -> dt.time | None: ...
    @property
    def closes(self) -> dt.time | None: ...
    @property
    def tz(self) -> dt.tzinfo: ...
    def working(self, day: dt.date) -> bool: ...


# Days added at a time when a question reaches past the ledger's end.
_GROW = 366
# Searching further than this for working time means the calendar has none (a config error).
MAX_DAYS = 3660
_US = dt.timedelta(microseconds=1)

Window = tuple[dt.datetime, dt.datetime] | None


class Ledger:
    """Day windows of one business calendar from `first` (a proleptic ordinal) onwards,
    with `before[i]`: the working microseconds of the days first .. first+i-1."""

    def __init__(self, calendar: Calendar, first: int) -> None:
        self.calendar = calendar
        self.first = first
        self.windows: list[Window] = []
        self.before: list[int] = [0]
        self._lock = threading.RLock()  # the scheduler's threads share a ledger

    def _window(self, ordinal: int) -> Window:
        cal = self.calendar
        assert cal.opens is not None and cal.closes is not None
        day = dt.date.fromordinal(ordinal)
        if not cal.working(day):
            return None
        opens = dt.datetime.combine(day, cal.opens, tzinfo=cal.tz).astimezone(dt.UTC)
        closes = dt.datetime.combine(day, cal.closes, tzinfo=cal.tz).astimezone(dt.UTC)
        return (opens, closes) if closes > opens else None

    def _days(self, begin: int, end: int) -> tuple[list[Window], list[int]]:
        """Windows of the days begin .. end-1 and their running sums from 0."""
        windows, sums = [], [0]
        for ordinal in range(begin, end):
            window = self._window(ordinal)
            windows.append(window)
            sums.append(sums[-1] + ((window[1] - window[0]) // _US if window else 0))
        return windows, sums

    def _cover(self, ordinal: int) -> None:
        """Grow the ledger to hold the day `ordinal` (a year more at a time)."""
        if ordinal < self.first:
            start = min(ordinal, self.first - _GROW)
            windows, sums = self._days(start, self.first)
            self.windows = windows + self.windows
            self.before = sums[:-1] + [sums[-1] + b for b in self.before]
            self.first = start
        end = self.first + len(self.windows)
        if ordinal >= end:
            windows, sums = self._days(end, max(ordinal + 1, end + _GROW))
            self.windows += windows
            self.before += [self.before[-1] + b for b in sums[1:]]

    def _at(self, ordinal: int) -> Window:
        self._cover(ordinal)
        return self.windows[ordinal - self.first]

    def seconds(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working seconds between two moments (0 when `end` is not after `start`)."""
        if end <= start:
            return 0
        tz = self.calendar.tz
        first = start.astimezone(tz).date().toordinal()
        last = end.astimezone(tz).date().toordinal()
        with self._lock:
            total = 0
            for ordinal in {first, last}:
                window = self._at(ordinal)
                if window is not None:
                    begin, finish = max(start, window[0]), min(end, window[1])
                    if finish > begin:
                        total += (finish - begin) // _US
            if last > first + 1:
                self._cover(last)
                total += self.before[last - self.first] - self.before[first + 1 - self.first]
        return total // 1_000_000

    def add(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The moment `amount` of working time after `start` (UTC out)."""
        cursor = start.astimezone(dt.UTC)
        first = start.astimezone(self.calendar.tz).date().toordinal()
        with self._lock:
            window = self._at(first)
            remaining = amount
            if window is not None:
                begin = max(cursor, window[0])
                if begin < window[1]:
                    available = window[1] - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            need = remaining // _US
            self._cover(first + 1)
            base = first + 1 - self.first
            while True:
                offset = self.before[base]
                if self.before[-1] > offset + need or (need and self.before[-1] == offset + need):
                    # The first day by whose end the working time after `first` reaches
                    # `remaining` (for none at all: the first working day).
                    if need:
                        i = bisect.bisect_left(self.before, offset + need, lo=base + 1)
                    else:
                        i = bisect.bisect_right(self.before, offset, lo=base + 1)
                    day = self.windows[i - 1]
                    assert day is not None
                    return day[0] + (need - (self.before[i - 1] - offset)) * _US
                if len(self.windows) - base > MAX_DAYS:
                    raise ValueError("the business calendar has no working time")
                self._cover(self.first + len(self.windows))
                base = first + 1 - self.first


_LEDGERS: dict[Calendar, Ledger] = {}
_LOCK = threading.Lock()


def of(calendar: Calendar, near: dt.datetime) -> Ledger:
    """The calendar's shared ledger (started a week before `near` when new)."""
    with _LOCK:
        found = _LEDGERS.get(calendar)
        if found is None:
            ordinal = near.astimezone(calendar.tz).date().toordinal()
            found = _LEDGERS[calendar] = Ledger(calendar, ordinal - 7)
        return found
