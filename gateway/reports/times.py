"""Median, p90 and mean of durations, exact: computed from every value of a group.

median: the middle value (the mean of the two middle ones); p90: the nearest rank (the
value below which 90 % of the values lie); mean rounded to a tenth of a second.
"""

from __future__ import annotations

import bisect
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


def kth(groups: list[list[int]], k: int) -> int:
    """The k-th smallest value (1-based) of several sorted lists together, without merging
    them: a search on the value, counting each list's values up to it by bisection."""
    low = min(g[0] for g in groups if g)
    high = max(g[-1] for g in groups if g)
    while low < high:
        middle = (low + high) // 2
        if sum(bisect.bisect_right(g, middle) for g in groups) >= k:
            high = middle
        else:
            low = middle + 1
    return low


def of_sorted_groups(groups: list[list[int]]) -> Times:
    """The figures of the values of several sorted lists together (the totals of groups)."""
    n = sum(len(g) for g in groups)
    if n == 0:
        return Times()
    half = n // 2
    mid = float(kth(groups, half + 1)) if n % 2 else (kth(groups, half) + kth(groups, half + 1)) / 2
    rank = max(math.ceil(0.9 * n), 1)
    return Times(mid, float(kth(groups, rank)), round(sum(sum(g) for g in groups) / n, 1), n)


def of(values: list[int]) -> Times:
    """The figures of unsorted values (sorted here, in place)."""
    if not values:
        return Times()
    values.sort()
    average = mean(values)
    return Times(
        median(values), p90(values), round(average, 1) if average is not None else None, len(values)
    )
