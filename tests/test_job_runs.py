"""One run of a scheduled job per tick across daemons (gateway.store.job_runs), time passed in:
on PostgreSQL while one transaction runs the job the others skip it, a run rolled back
(its daemon died) leaves the tick to the next daemon, and on SQLite as on PostgreSQL a tick
already done is not done again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.store import job_runs
from gateway.store.db import Database, upgrade
from gateway.store.model import KeyValue
from tests.postgres import private_postgres

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
GAP = job_runs.interval_gap(60)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'helpdesk.db'}"
        upgrade(url)
        yield url
        return
    with private_postgres() as url:
        upgrade(url)
        yield url


def take(db: Database, at: dt.datetime, job: str = "escalation") -> bool:
    with db.write() as s:
        return job_runs.take_run(s, job, at, GAP)


def state(db: Database, job: str = "escalation") -> dict[str, object]:
    with db.read() as s:
        row = s.scalar(select(KeyValue).where(KeyValue.key == job_runs.PREFIX + job))
        assert row is not None
        return dict(row.value)


def test_each_tick_runs_once(url: str) -> None:
    db = Database(url)
    try:
        assert take(db, T0)
        # The other daemons' ticks of the same minute, seconds later: already done.
        assert not take(db, T0 + dt.timedelta(seconds=1))
        assert not take(db, T0 + dt.timedelta(seconds=53))
        # The next tick, a little early by another daemon's clock, runs.
        assert take(db, T0 + dt.timedelta(seconds=55))
        assert not take(db, T0 + dt.timedelta(seconds=60))
        # Jobs do not share a mark.
        assert take(db, T0 + dt.timedelta(seconds=60), job="report-mail")
        value = state(db)
        assert value["runs"] == 2
        assert value["at"] == (T0 + dt.timedelta(seconds=55)).isoformat()
        assert value["by"] == job_runs.this_daemon()
    finally:
        db.dispose()


def test_a_run_rolled_back_leaves_the_tick_to_the_next_daemon(url: str) -> None:
    db = Database(url)
    try:
        assert take(db, T0)

        class Died(Exception):
            pass

        with pytest.raises(Died), db.write() as s:
            assert job_runs.take_run(s, "escalation", T0 + dt.timedelta(minutes=1), GAP)
            raise Died  # the daemon's transaction never commits
        assert state(db)["runs"] == 1
        assert take(db, T0 + dt.timedelta(minutes=1, seconds=2))
        assert state(db)["runs"] == 2
    finally:
        db.dispose()


def test_while_one_daemon_runs_the_job_the_others_skip_it() -> None:
    with private_postgres() as url:
        upgrade(url)
        owner_db, other_db = Database(url), Database(url)
        try:
            for first_run in (True, False):
                at = T0 + dt.timedelta(minutes=0 if first_run else 5)
                owner = owner_db.session()
                try:
                    # The owner's transaction is running the job (its row locked)...
                    assert job_runs.take_run(owner, "escalation", at, GAP)
                    if not first_run:
                        # ...and another daemon at the same tick passes at once, not
                        # waiting to repeat it. (On the very first run the row does
                        # not exist yet: the other's insert would wait for this one.)
                        assert not take(other_db, at + dt.timedelta(seconds=1))
                    owner.commit()
                finally:
                    owner.close()
                assert not take(other_db, at + dt.timedelta(seconds=2))
            assert state(other_db)["runs"] == 2
        finally:
            owner_db.dispose()
            other_db.dispose()
