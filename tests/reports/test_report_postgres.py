"""The report on a real PostgreSQL: the same figures as on SQLite for every grouping (the
hand-computed fixture desk), and the days of the report's zone around a DST change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.reports import chartdata
from gateway.reports.build import build
from gateway.reports.figures import BY, Period
from gateway.settings import config as config_mod
from gateway.store.db import Database, upgrade
from tests.harness import write_config
from tests.postgres import private_postgres
from tests.reports import test_report_figures as figures_tests
from tests.reports import test_report_schedule as schedule_tests


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with private_postgres() as url:
        upgrade(url)
        yield url


def _sqlite(tmp_path: Path, fill: Any) -> Database:
    url = f"sqlite:///{tmp_path / 'lite.db'}"
    upgrade(url)
    db = Database(url)
    fill(db)
    return db


def _empty(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "TRUNCATE ratings, events, messages, outbox, tickets, users RESTART IDENTITY CASCADE"
        )


def test_figures_equal_sqlites_for_every_grouping(pg_url: str, tmp_path: Path) -> None:
    cfg = config_mod.load(write_config(tmp_path))
    pg = Database(pg_url)
    _empty(pg)
    figures_tests.fill(pg)
    lite = _sqlite(tmp_path, figures_tests.fill)
    try:
        for by in (None, *BY):
            with pg.read() as a, lite.read() as b:
                assert build(a, cfg, figures_tests.PERIOD, by) == build(
                    b, cfg, figures_tests.PERIOD, by
                ), by
        with pg.read() as a, lite.read() as b:
            assert chartdata.collect(a, cfg, figures_tests.PERIOD) == chartdata.collect(
                b, cfg, figures_tests.PERIOD
            )
        with pg.read() as a:
            totals = build(a, cfg, figures_tests.PERIOD, "agent")["totals"]
        assert (totals["opened"], totals["closed"], totals["open"]) == (4, 3, 2)
        assert totals["first_response"] == {"median_s": 750.0, "p90_s": 1200.0, "mean_s": 750.0}
    finally:
        pg.dispose()
        lite.dispose()


def test_days_of_the_zone_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    cfg = config_mod.load(write_config(tmp_path, schedule_tests.BERLIN))
    pg = Database(pg_url)
    _empty(pg)
    schedule_tests._fill(pg)
    try:
        period = Period(schedule_tests.utc(2026, 10, 20), schedule_tests.utc(2026, 10, 30))
        with pg.read() as session:
            groups = build(session, cfg, period, "day")["groups"]
        assert [(g["key"], g["opened"], g["closed"]) for g in groups] == [
            ("2026-10-24", 1, 0), ("2026-10-25", 2, 1), ("2026-10-26", 1, 1),
        ]  # fmt: skip
    finally:
        pg.dispose()
