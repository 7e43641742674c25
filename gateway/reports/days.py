"""Days of the report's time zone (`[reports] timezone`, "" = the server's), not UTC days.

SQL cannot convert to a named zone portably (SQLite knows none), so the database groups
by quarter-hour of UTC (every zone's offset is a whole number of quarter-hours, so no
quarter-hour straddles a local midnight) and each quarter-hour is then given its local
day here: a day on which daylight saving time changes has its real 23 or 25 hours.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from sqlalchemy import Integer, cast, func

from gateway.settings.config import Config

SLOT_SECONDS = 900


def zone(cfg: Config) -> dt.tzinfo:
    """The report's zone: the configured one, else the server's (with its DST rules)."""
    if cfg.reports.timezone:
        return zoneinfo.ZoneInfo(cfg.reports.timezone)
    import tzlocal  # APScheduler's own dependency: the server's zone by name, DST included

    found: dt.tzinfo = tzlocal.get_localzone()
    return found


# The Julian day of the Unix epoch, and quarter-hours per day.
_EPOCH_JD = 2440587.5
_SLOTS_PER_DAY = 86400 // SLOT_SECONDS
# SQLite keeps a time as whole milliseconds of Julian day (its iJD: the fraction of a
# second rounded to the millisecond), so the nearest times either side of a slot's start
# are 1 ms = 1.16e-6 slot apart, and the double's rounding is under 5e-8 slot. Half a
# millisecond's worth makes the floor exact at SQLite's resolution: a time at a slot's
# start is in it, one a millisecond before is not (tests/reports/test_report_days.py).
_HALF_MS_SLOTS = 5e-7


def slot(column: Any, dialect: str) -> Any:
    """The UTC quarter-hour (seconds since the epoch // 900) of a naive-UTC timestamp."""
    if dialect == "sqlite":
        # julianday() is the cheapest of SQLite's date functions (strftime('%s') formats
        # a string to cast back: twice the cost over a million rows, measured).
        jd = func.julianday(column)
        return cast((jd - _EPOCH_JD) * _SLOTS_PER_DAY + _HALF_MS_SLOTS, Integer)
    return cast(func.floor(func.extract("epoch", column) / SLOT_SECONDS), Integer)


class LocalDays:
    """Quarter-hour slots to the local day (YYYY-MM-DD) they fall in, remembered."""

    def __init__(self, tz: dt.tzinfo) -> None:
        self.tz = tz
        self._known: dict[int, str] = {}

    def __call__(self, value: Any) -> str:
        n = int(value)
        day = self._known.get(n)
        if day is None:
            moment = dt.datetime.fromtimestamp(n * SLOT_SECONDS, dt.UTC).astimezone(self.tz)
            day = self._known[n] = moment.date().isoformat()
        return day
