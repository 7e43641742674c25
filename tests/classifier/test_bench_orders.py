"""The spam bench's orders of one stream: shuffles within each day, seeded, on one clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from bench.spam_data import Corpus
from bench.spam_orders import day_shuffle, reclocked


def _days() -> tuple[list[datetime], list[int]]:
    # Three days of 30 messages, a minute apart, listed newest first.
    start = datetime(2002, 12, 1, 8, tzinfo=UTC)
    dates = [start + timedelta(days=k // 30, minutes=k % 30) for k in range(90)]
    dates.reverse()
    order = sorted(range(90), key=lambda i: dates[i])
    return dates, order


def test_a_shuffle_keeps_each_day_and_the_days_order_and_is_the_same_for_a_seed() -> None:
    dates, order = _days()
    assert day_shuffle(dates, order, 0) == order  # seed 0: the Date order itself
    one = day_shuffle(dates, order, 1)
    assert one == day_shuffle(dates, order, 1)  # deterministic by seed
    assert one != order and one != day_shuffle(dates, order, 2)
    assert sorted(one) == sorted(order)
    for day in range(3):  # the same messages in each day's block, not in Date order
        block = slice(30 * day, 30 * (day + 1))
        assert set(one[block]) == set(order[block]) and one[block] != order[block]


def test_a_shuffled_stream_keeps_the_clock_of_the_date_order() -> None:
    dates, order = _days()
    c = Corpus([b""] * 90, np.zeros(90, bool), [""] * 90, None, dates, order, 0, ["x"] * 90)
    shuffled = day_shuffle(dates, order, 3)
    moved = reclocked(c, order, shuffled)
    assert [moved.dates[i] for i in shuffled] == [dates[i] for i in order]  # never backwards
    assert all(moved.dates[i].date() == dates[i].date() for i in range(90))  # its own day
    assert c.dates == dates  # the corpus itself unchanged
