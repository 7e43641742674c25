"""Standard crontab expressions as APScheduler 3 triggers, with the weekdays of cron.

APScheduler 3's `CronTrigger.from_crontab` passes the weekday field through as its own
numbering, where 0 is Monday (its issue 286): "0 8 * * 1", Monday 08:00 in cron, fired on
Tuesdays. Here the weekday field is read as cron reads it (0 and 7 Sunday, names, ranges,
lists, steps) and handed over as explicit day names, which both agree on.

The config's validation asks `check`, which reads the plain forms itself: importing
APScheduler costs every CLI call 20-35 ms, and only the daemon schedules anything.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# minute, hour, day of month, month: APScheduler's bounds for each.
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12))
# `*`, `*/step`, `n` or `n-m`, ASCII digits only (APScheduler's \d takes any digit).
_PLAIN = re.compile(r"(?:\*(?:/(?P<step>[0-9]+))?|(?P<first>[0-9]+)(?:-(?P<last>[0-9]+))?)")


def _day(text: str) -> int:
    word = text.strip().lower()
    if word[:3] in _NAMES and not word.isdigit():
        return _NAMES.index(word[:3])
    number = int(word)  # ValueError: not a weekday
    if not 0 <= number <= 7:
        raise ValueError(f"weekday {number} out of range 0-7")
    return number % 7


def weekdays(field: str) -> str:
    """A crontab weekday field as APScheduler day names ("1-5" -> "mon,tue,wed,thu,fri")."""
    if field.strip() in ("*", "?"):
        return "*"
    days: set[int] = set()
    for item in field.split(","):
        span, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step <= 0:
            raise ValueError(f"step {step} must be positive")
        if span in ("*", "?"):
            first, last = 0, 6
        elif "-" in span:
            low, _, high = span.partition("-")
            first, last = _day(low), _day(high)
            if high.strip() == "7":
                last = 7  # "5-7": Friday to Sunday
            if last < first:
                raise ValueError(f"range {span!r} runs backwards")
        else:
            first = last = _day(span)
            if step_text:
                last = 6
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(_NAMES[d] for d in sorted(days))


def _plain_field(field: str, low: int, high: int) -> bool:
    """Whether every item of `field` is a plain form APScheduler accepts within bounds."""
    for item in field.split(","):
        found = _PLAIN.fullmatch(item)
        if found is None:
            return False
        first, last, step = found["first"], found["last"], found["step"]
        if first is None:  # `*` or `*/step`: a step of 0 or past the range is refused
            if step is not None and not 0 < int(step) <= high - low:
                return False
        elif not low <= int(first) <= int(last or first) <= high:
            return False
    return True


def check(expr: str) -> None:
    """ValueError when `expr` is not a five-field crontab expression `trigger` takes.

    The plain forms (numbers, ranges, `*` and `*/step` within the field's bounds) are read
    here; anything else (month names, `n/step`, `last`, an error to explain) is left to
    APScheduler, so what passes is exactly what `trigger` accepts.
    """
    values = expr.split()
    if len(values) == 5 and all(
        _plain_field(value, low, high)
        for value, (low, high) in zip(values[:4], _BOUNDS, strict=True)
    ):
        weekdays(values[4])  # ValueError as `trigger` raises it; day names need no more
        return
    trigger(expr)


def trigger(expr: str, timezone: dt.tzinfo | str | None = None) -> Any:
    """The CronTrigger of a five-field crontab expression; ValueError when it is not one."""
    from apscheduler.triggers.cron import CronTrigger

    values = expr.split()
    if len(values) != 5:
        raise ValueError(f"Wrong number of fields; got {len(values)}, expected 5")
    return CronTrigger(
        minute=values[0],
        hour=values[1],
        day=values[2],
        month=values[3],
        day_of_week=weekdays(values[4]),
        timezone=timezone,
    )
