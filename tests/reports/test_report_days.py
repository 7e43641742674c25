"""The report's quarter-hour slots on SQLite: exact at a slot's start and a millisecond
either side, in every season, as SQLite's own epoch seconds say."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import create_engine, literal, select

from gateway.reports import days


def test_slots_are_exact_at_the_quarter_hours() -> None:
    rnd = random.Random(7)
    base = dt.datetime(2020, 1, 1)
    engine = create_engine("sqlite://")
    edges = [dt.timedelta(0), dt.timedelta(milliseconds=-1), dt.timedelta(milliseconds=1)]
    with engine.connect() as conn:
        for _ in range(2000):
            start = base + dt.timedelta(minutes=15 * rnd.randrange(400_000))
            for edge in edges:
                moment = start + edge
                text = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
                got = conn.scalar(select(days.slot(literal(text), "sqlite")))
                want = int(moment.replace(tzinfo=dt.UTC).timestamp()) // days.SLOT_SECONDS
                assert got == want, text
    engine.dispose()
