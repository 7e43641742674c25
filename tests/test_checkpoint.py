"""The WAL checkpointer: the log stays short under a burst with the commits' own
checkpoints off, a checkpoint only once a log's worth waits (not whenever the -wal file
has once been long), readers that hold it make it wait and empty it, a failure hands the
work back to SQLite's automatic checkpoints, and the processing process stops it with the
rest. The log's length is read from the -wal file (gateway.store.wal_log), as SQLite has it."""

from __future__ import annotations

import logging
import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.daemon import processing
from gateway.settings import config as config_mod
from gateway.spool.pressure import IntakePressure
from gateway.store.checkpoint import INTERVAL_SECONDS, Checkpointer
from gateway.store.db import Database, upgrade
from gateway.store.wal_log import wal_log
from tests.harness import write_config

ROW = "x" * 3000  # with its index entry, about one page per row


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    database = Database(url)
    with database.write() as s:
        s.execute(text("CREATE TABLE burst (id INTEGER PRIMARY KEY, body TEXT)"))
    yield database
    database.dispose()


def commit_rows(db: Database, n: int) -> None:
    with db.write() as s:
        s.execute(text("INSERT INTO burst (body) VALUES (:b)"), [{"b": ROW}] * n)


def pages(cp: Checkpointer) -> int:
    """The longest the log has been since its file was last emptied (SQLite reuses the
    file from its start when the log starts over, it does not shrink it)."""
    return max(0, Path(f"{cp.path}-wal").stat().st_size - 32) // (4096 + 24)


def sqlite_log(cp: Checkpointer) -> int:
    """The log's length as SQLite has it (a passive checkpoint's report; it copies too)."""
    conn = sqlite3.connect(cp.path, isolation_level=None)
    try:
        return int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        conn.close()


class Clock:
    """Time as the checkpointer is told it: a look every INTERVAL_SECONDS."""

    def __init__(self) -> None:
        self.now = 1000.0

    def tick(self) -> float:
        self.now += INTERVAL_SECONDS
        return self.now


def test_the_log_stays_short_under_a_burst(db: Database) -> None:
    cp = Checkpointer(db, passive_pages=100, high_pages=2000)
    cp.start()
    clock = Clock()
    for _ in range(60):
        commit_rows(db, 20)
        cp.run_once(clock.tick())
    # A passive checkpoint after each commit once the log reached 100 pages; the next
    # commit starts the log over, in the same file.
    assert pages(cp) < 100 + 60
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM burst")).scalar_one() == 1200


def test_the_log_length_read_from_the_file_is_sqlites(db: Database) -> None:
    cp = Checkpointer(db, passive_pages=100, high_pages=2000)
    cp.start()
    assert wal_log(cp.path)[0] == sqlite_log(cp) == 2  # the fixture's table
    commit_rows(db, 300)
    length, salts = wal_log(cp.path)
    assert length > 300 and length == sqlite_log(cp)  # that checkpoint copied it all
    # The next commit starts the log over from the file's start, with new salts: the
    # file keeps its size, the log is the commit's few pages.
    commit_rows(db, 5)
    short, again = wal_log(cp.path)
    assert again != salts and 5 <= short < 20 and short == sqlite_log(cp)
    assert pages(cp) >= length
    db.dispose()
    assert wal_log(cp.path) == (0, b"")  # the last connection closed: no -wal file


def test_a_file_once_long_does_not_checkpoint_a_short_log(db: Database) -> None:
    # The -wal file had room for 300 pages; what follows writes a few pages a look. A
    # checkpoint each time would sync the database every half second while mail flows.
    cp = Checkpointer(db, passive_pages=100, high_pages=2000)
    cp.start()
    clock = Clock()
    commit_rows(db, 300)
    assert cp.run_once(clock.tick()) == "passive"
    done = []
    for _ in range(40):
        commit_rows(db, 5)
        done.append(cp.run_once(clock.tick()))
    assert pages(cp) > 300
    # A checkpoint once about 100 pages waited again: every 15-20 looks, not at each.
    assert 1 <= done.count("passive") <= 3
    assert done[:10] == [""] * 10


def test_looks_within_the_interval_wait_for_the_next(db: Database) -> None:
    cp = Checkpointer(db, passive_pages=100, high_pages=2000)
    cp.start()
    commit_rows(db, 200)
    assert cp.run_once(500.0) == "passive"
    commit_rows(db, 200)
    assert cp.run_once(500.0 + INTERVAL_SECONDS / 2) == ""
    assert cp.run_once(500.0 + INTERVAL_SECONDS) == "passive"


def test_without_it_the_commits_no_longer_checkpoint(db: Database) -> None:
    cp = Checkpointer(db, passive_pages=100, high_pages=2000)
    cp.start()
    for _ in range(60):
        commit_rows(db, 20)
    # The burst is all in the log (SQLite alone would have started over at 1,000 pages).
    assert pages(cp) > 1200
    assert cp.run_once() == "passive"


def test_a_reader_holding_the_log_is_waited_for_and_the_log_emptied(db: Database) -> None:
    cp = Checkpointer(db, passive_pages=100, high_pages=600, truncate_wait=0.0)
    cp.start()
    reader = sqlite3.connect(cp.path, isolation_level=None)
    commit_rows(db, 20)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM burst").fetchone()  # a snapshot: the log is held
    clock = Clock()
    done = []
    for _ in range(40):
        commit_rows(db, 20)
        done.append(cp.run_once(clock.tick()))
    assert pages(cp) > 600  # passive checkpoints could not let the log start over
    # Past the mark it waited for the reader (not at all here) and gave up, then tried
    # again only once the log had grown by another quarter of the mark, not at every look.
    truncates = [i for i, what in enumerate(done) if what == "truncate"]
    assert len(truncates) == 2 and truncates[1] - truncates[0] >= 5
    assert Path(f"{cp.path}-wal").stat().st_size > 0
    reader.execute("COMMIT")
    commit_rows(db, 200)  # another quarter of the mark: it tries again
    assert cp.run_once(clock.tick()) == "truncate"
    assert Path(f"{cp.path}-wal").stat().st_size == 0
    reader.close()


def test_a_failure_is_logged_and_the_commits_checkpoint_meanwhile(
    db: Database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    cp = Checkpointer(db, passive_pages=100, high_pages=2000)
    cp.start()

    def fail(mode: str) -> tuple[int, int]:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(cp, "_checkpoint", fail)
    commit_rows(db, 200)
    with caplog.at_level(logging.ERROR, logger="gateway.store.checkpoint"):
        assert cp.run_once(10.0) == "failed"
    assert "checkpoint failed" in caplog.text
    # SQLite's own checkpoints are back: the log starts over at about 1,000 pages.
    for _ in range(60):
        commit_rows(db, 20)
    assert pages(cp) < 1000 + 40
    monkeypatch.undo()
    assert cp.run_once(11.0) == "passive"
    for _ in range(60):
        commit_rows(db, 20)  # off the commits again: the log outgrows the file
    assert pages(cp) > 1200


def test_its_thread_stops_when_told_and_leaves_the_commits_checkpointing(db: Database) -> None:
    cp = Checkpointer(db, passive_pages=100, high_pages=2000)
    cp.start()
    stop = threading.Event()
    thread = threading.Thread(target=cp.run, args=(stop,))
    thread.start()
    stop.set()
    cp.wake.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    for _ in range(60):
        commit_rows(db, 20)
    assert pages(cp) < 1000 + 40


def test_the_processing_process_runs_it_and_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No spam filter: its once-at-start rebuild job would race the scheduler's shutdown.
    cfg = config_mod.load(write_config(tmp_path, "[spam]\nenabled = false\n"))
    upgrade(cfg.database_url)
    ran: list[str] = []
    run = Checkpointer.run

    def recorded(self: Checkpointer, stop: threading.Event) -> None:
        ran.append(threading.current_thread().name)
        run(self, stop)

    monkeypatch.setattr(Checkpointer, "run", recorded)
    stop = threading.Event()
    stop.set()  # stopped at once: serve starts its threads and stops them
    reader, _writer = multiprocessing.Pipe(duplex=False)
    processing.serve(cfg, IntakePressure(), reader, stop)
    assert ran == ["checkpointer"]
    assert "checkpointer" not in {t.name for t in threading.enumerate()}


def test_a_writer_that_begins_again_at_once_lets_the_log_start_over(db: Database) -> None:
    # As the runner does: its next transaction begins the moment one commits, so the
    # thread's looks land inside its transactions. A log begins again only in a
    # transaction begun after a checkpoint copied all of it.
    cp = Checkpointer(db, passive_pages=100, high_pages=5000)
    cp.start()
    clock = Clock()

    def burst(between: bool) -> set[bytes]:
        logs = set()
        for _ in range(60):
            with db.write() as s:
                s.execute(text("INSERT INTO burst (body) VALUES (:b)"), [{"b": ROW}] * 20)
                cp.run_once(clock.tick())  # the thread's look, woken by the last commit
            if between:
                cp.committed(clock.tick())  # the runner's, between its transactions
            logs.add(wal_log(cp.path)[1])
        return logs

    # The thread alone copies the log but never lets it start over: it outgrows 1,200 pages.
    assert len(burst(between=False)) == 1
    assert wal_log(cp.path)[0] > 1200
    # Looks between the transactions: the log starts over every ~100 pages and stays short.
    assert cp.committed(clock.tick()) == "passive"  # what the thread copied does not count
    logs = burst(between=True)
    assert len(logs) >= 10
    assert wal_log(cp.path)[0] < 100 + 40
    clock.now += 10  # the writer has stopped: the thread's looks checkpoint again
    commit_rows(db, 150)
    assert cp.run_once(clock.tick()) == "passive"
