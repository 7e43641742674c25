"""Three daemons on one PostgreSQL database run the scheduled jobs once per tick between
them, and when the daemon running them is SIGKILLed another takes them over.

The escalation check ticks every second in each daemon. Every run is a line in the log of
the daemon that made it and is counted in the job's row (gateway.store.job_runs): the runs
of all three together come a tick apart, never three to a tick.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.store import job_runs
from gateway.store.db import Database, upgrade
from gateway.store.model import KeyValue
from tests import scaleout
from tests.harness import Daemon, processing_pid, wait_until
from tests.postgres import private_postgres

PERIOD = 1.0
RUN_LINE = re.compile(r"job escalation: run at (\S+) ")


@pytest.fixture()
def pg_url() -> Iterator[str]:
    with private_postgres() as url:
        upgrade(url)
        yield url


def processing_of(daemon: Daemon) -> int:
    assert daemon.proc is not None
    pid = daemon.proc.pid
    found: int = wait_until(lambda: processing_pid(pid), 20, "the processing process")
    return found


def runs_in(daemon: Daemon) -> list[dt.datetime]:
    text = daemon.log.read_text(errors="replace") if daemon.log.exists() else ""
    return [dt.datetime.fromisoformat(m.group(1)) for m in RUN_LINE.finditer(text)]


def test_jobs_run_once_per_tick_and_move_to_a_survivor(tmp_path: Path, pg_url: str) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    extra = f"\n[escalation]\ncheck_seconds = {PERIOD:g}\n"
    fleet = [scaleout.pg_daemon(tmp_path / f"d{k}", pg_url, shared, extra) for k in range(3)]
    db = Database(pg_url)

    def mark() -> dict[str, object]:
        with db.read() as s:
            row = s.scalar(select(KeyValue).where(KeyValue.key == job_runs.PREFIX + "escalation"))
            return dict(row.value) if row is not None else {}

    def runs() -> int:
        value = mark().get("runs", 0)
        return value if isinstance(value, int) else 0

    try:
        for daemon in fleet:
            daemon.start()
        host = job_runs.this_daemon().split(":")[0]
        by_pid = {f"{host}:{processing_of(d)}": d for d in fleet}
        # All three are up and ticking: a few ticks' worth of runs.
        started = lambda: all("processing started" in d.log.read_text() for d in fleet)  # noqa: E731
        wait_until(started, 180, "the three processing processes")
        start = runs()
        wait_until(lambda: runs() >= start + 5, 60, "five runs of the escalation check")
        owner = by_pid[str(mark()["by"])]
        scaleout._kill(owner)
        before_kill = runs()
        survivors = [d for d in fleet if d is not owner]
        wait_until(lambda: runs() >= before_kill + 5, 60, "five runs after the kill")
        assert by_pid[str(mark()["by"])] in survivors
        for daemon in survivors:
            daemon.stop()

        logged = sorted(t for d in fleet for t in runs_in(d))
        # Every run was logged by the daemon that made it; a run the kill interrupted
        # before its commit is logged but not counted.
        interrupted = len(logged) - runs()
        assert interrupted in (0, 1)
        # One run a tick between the three: never two within the same tick (the gap a
        # tick may come early by, on another daemon's schedule, is the job's share),
        # but for the run after the interrupted one.
        least = dt.timedelta(seconds=PERIOD * job_runs.INTERVAL_SHARE)
        gaps = [b - a for a, b in itertools.pairwise(logged)]
        assert len([g for g in gaps if g < least]) <= interrupted, gaps
        # The killed daemon had run some ticks, and a survivor ran those after it.
        assert runs_in(owner) and any(runs_in(d) for d in survivors)
    finally:
        for daemon in fleet:
            daemon.close()
        db.dispose()
