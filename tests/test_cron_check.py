"""The config's cron check without APScheduler agrees with APScheduler's CronTrigger:
the same expressions pass, and a refused one gets the same message."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from gateway.settings import cron

# Each field's candidates: plain forms in and out of bounds, steps, and the forms the
# check leaves to APScheduler (names, `n/step`, `last`, other digits, empty items).
ITEMS = (
    "*",
    "*/0",
    "*/1",
    "*/5",
    "*/11",
    "*/12",
    "*/23",
    "*/24",
    "*/30",
    "*/59",
    "*/60",
    "0",
    "1",
    "05",
    "7",
    "12",
    "13",
    "23",
    "24",
    "31",
    "32",
    "59",
    "60",
    "1-5",
    "5-1",
    "0-23",
    "1-31",
    "0-59",
    "1-12",
    "10-60",
    "1/5",
    "0-30/10",
    "1,2",
    "1,,2",
    "3,*/2",
    "",
    "jan",
    "mon",
    "mon-fri",
    "sun,7",
    "last",
    "last fri",
    "?",
    "x",
    "-1",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: APScheduler's \d takes it
)


def _outcome(check: Callable[[str], object], expr: str) -> str:
    try:
        check(expr)
    except ValueError as exc:
        return f"refused: {exc}"
    return "ok"


def _expressions() -> list[str]:
    exprs = []
    for position, item in itertools.product(range(5), ITEMS):
        fields = ["*"] * 5
        fields[position] = item
        exprs.append(" ".join(fields))
    # A few with several plain fields at once, and the wrong number of fields.
    exprs += ["0 8 * * 1-5", "*/15 9-17 1,15 */3 *", "30 2 31 12 0", "0 8 * *", "0 8 * * * *"]
    return exprs


@pytest.mark.parametrize("expr", _expressions())
def test_check_agrees_with_the_trigger(expr: str) -> None:
    assert _outcome(cron.check, expr) == _outcome(cron.trigger, expr)


def test_plain_expressions_are_read_without_apscheduler() -> None:
    """The standard forms pass by the check's own reading (the regression it guards: the
    config's validation importing APScheduler in every CLI call)."""
    for expr in ("0 8 * * 1-5", "*/15 9-17 1,15 */3 *", "30 2 31 12 0"):
        assert all(
            cron._plain_field(value, low, high)
            for value, (low, high) in zip(expr.split()[:4], cron._BOUNDS, strict=True)
        )
    assert not cron._plain_field("jan", 1, 12)
    assert not cron._plain_field("*/12", 1, 12)
