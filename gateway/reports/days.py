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


def slot(column: Any, dialect: str) -> Any:
    """The UTC quarter-hour (seconds since the epoch // 900) of a naive-UTC timestamp."""
    if dialect == "sqlite":
        # // : integer division (SQLAlchemy 2 makes / a true, floating division).
        return cast(func.strftime("%s", column), Integer) // SLOT_SECONDS
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
