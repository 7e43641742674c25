"""Median, p90 and mean of durations, exact: computed from every value of a group.

median: the middle value (the mean of the two middle ones); p90: the nearest rank (the
value below which 90 % of the values lie); mean rounded to a tenth of a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Times:
    """Median, p90 (nearest rank) and mean of a group's durations, and how many."""

    median_s: float | None = None
    p90_s: float | None = None
    mean_s: float | None = None
    count: int = 0

    def as_dict(self) -> dict[str, float | None]:
        return {"median_s": self.median_s, "p90_s": self.p90_s, "mean_s": self.mean_s}


def median(values: list[int]) -> float | None:
    if not values:
        return None
    n = len(values)
    mid = n // 2
    return float(values[mid]) if n % 2 else (values[mid - 1] + values[mid]) / 2


def p90(values: list[int]) -> float | None:
    if not values:
        return None
    return float(values[max(math.ceil(0.9 * len(values)) - 1, 0)])


def mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def of(values: list[int]) -> Times:
    """The figures of unsorted values (sorted here, in place)."""
    if not values:
        return Times()
    values.sort()
    average = mean(values)
    return Times(
        median(values), p90(values), round(average, 1) if average is not None else None, len(values)
    )
