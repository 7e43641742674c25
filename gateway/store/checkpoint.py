"""WAL checkpoints off the commit path (SQLite): a checkpointer beside the writers.

By default SQLite copies the write-ahead log back into the database inside the commit
that takes the log past 1,000 pages. On a large desk that copy writes scattered pages of
a file of gigabytes and syncs it, so one commit in every few takes far longer than the
rest: at a million tickets the runner spent an eighth of its time in those copies, and
the SMTP intake's commits, which take their turn at it, answered their 250 later.

So the processing process turns the automatic checkpoints off on its own connections
(`Database.set_autocheckpoint(0)`) and runs this checkpointer in a thread of its own,
with a connection of its own: once `passive_pages` pages of the log wait to be copied,
it runs a PASSIVE checkpoint, which never blocks a reader or a writer, looking after each
of the runner's commits and every INTERVAL_SECONDS, but never twice within that interval
(a checkpoint syncs the database file). What waits is the log's current length less what
this checkpointer's last checkpoint copied of it. The length is read from the -wal file
itself (gateway.store.wal_log: its header and a binary search of its frames' salts), not
from the file's size, which SQLite never shrinks when the log starts over (judged by the
size, a file once 1,000 pages long had a checkpoint run every half second while mail
flowed), nor from the -shm index, which would say it exactly: opening and closing that
file (or the database's) here would drop SQLite's POSIX locks on it for every connection
of the process, and another process would then rebuild the index under them (a corrupt
database). SQLite locks neither file through the -wal file, so reading it costs no lock.

A log starts over only in a write transaction begun after a checkpoint copied all of it
(one begun before reads through the log, and SQLite then appends): the runner, which
begins its next transaction the moment it commits, left a woken checkpointer no such
moment, and its log grew ~15 pages a message to the TRUNCATE mark. So the runner calls
`committed` between its transactions, which checkpoints there and then once the log is
`passive_pages` long, and the thread leaves the log to it while it writes.

The log must not grow without bound, though: a reader that keeps an old snapshot keeps a
passive checkpoint from finishing and the log from starting over, so past `high_pages` a
TRUNCATE checkpoint waits (a short while) for the readers, holding new writers back
meanwhile, and empties the file. If the checkpointer fails, it logs why and hands the
work back to SQLite's automatic checkpoints until it succeeds again: processing never
stops for it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

from gateway.store.db import Database
from gateway.store.files import sqlite_file
from gateway.store.wal_log import wal_log

log = logging.getLogger(__name__)

# A log this long (pages) is copied by passive checkpoints (SQLite's own automatic
# threshold: a log this long is still reused in place, see gateway/spool).
PASSIVE_PAGES = 1000
# Log length (pages, ~80 MB) past which the checkpointer waits for readers and empties it;
# also the automatic threshold of the SMTP intake's connections, should no checkpointer run.
HIGH_PAGES = 20_000
# How long a TRUNCATE checkpoint waits for readers before it gives up until next time.
TRUNCATE_WAIT_SECONDS = 2.0
# How often the log is looked at when nobody wakes the checkpointer (mail that the SMTP
# process stores while processing steps aside writes to the log too), and the shortest
# time between two checkpoints (each syncs the database file).
INTERVAL_SECONDS = 0.5
# A writer that called `committed` within this long is writing still: the thread's looks
# leave the log to it (a checkpoint inside its transaction would not let the log restart).
WRITER_SECONDS = 2.0
# SQLite's default automatic checkpoint, given back to the connections while failing.
FALLBACK_AUTOCHECKPOINT = 1000


class Checkpointer:
    """Keeps one SQLite database's write-ahead log short, off the writers' commits."""

    def __init__(
        self,
        db: Database,
        passive_pages: int = PASSIVE_PAGES,
        high_pages: int = HIGH_PAGES,
        truncate_wait: float = TRUNCATE_WAIT_SECONDS,
    ) -> None:
        path = sqlite_file(db.url)
        assert path is not None, "a checkpointer needs an SQLite database file"
        self.path = path
        self._db = db
        self.passive_pages = passive_pages
        self.high_pages = high_pages
        self._truncate_wait = truncate_wait
        self._conn: sqlite3.Connection | None = None
        self._failing = False
        self._truncate_after = 0  # no TRUNCATE below this log length (readers held one)
        self._last: float | None = None  # when the last checkpoint ran (time.monotonic)
        self._writer: float | None = None  # when a writer last called `committed`
        self._lock = threading.Lock()  # the thread's looks and the writer's, one at a time
        # The log our last checkpoint saw (its salts: a new log has new ones) and how many
        # of its frames were then in the database: those do not wait any more.
        self._salts = b""
        self._copied = 0
        self.wake = threading.Event()

    def start(self) -> None:
        """From now on the database's own connections leave the checkpoints to this one."""
        self._db.set_autocheckpoint(0)

    def step(self, now: float | None = None, between: bool = False) -> str:
        """Checkpoint if the log asks for it: "" (nothing to do), "passive" or "truncate".

        `between`: a writer's look between its transactions, where a log copied whole
        starts over at its next one; what a look inside them copied does not count."""
        now = time.monotonic() if now is None else now
        self._connection()  # opened first: a failure to is the checkpointer's failure
        length, salts = wal_log(self.path)
        waiting = length - (self._copied if salts == self._salts else 0)
        if (length if between else waiting) < self.passive_pages:
            return ""
        if not between and self._writer is not None and now - self._writer < WRITER_SECONDS:
            return ""  # a writer is at work: it checkpoints between its transactions
        if self._last is not None and now - self._last < INTERVAL_SECONDS:
            return ""
        self._last = now
        frames, copied = self._checkpoint("PASSIVE")
        self._salts, self._copied = salts, copied
        if frames < max(self.high_pages, self._truncate_after):
            return "passive"
        # Readers kept the log from starting over (or from being copied): wait for them.
        busy, frames, done = self._checkpoint_truncate()
        if busy:
            # Not again at every look while a reader stays (each wait holds writers back):
            # once the log has grown by another quarter of the mark.
            self._truncate_after = frames + self.high_pages // 4
            log.warning(
                "write-ahead log at %d pages (%d copied): readers kept it from being emptied",
                frames,
                done,
            )
        else:
            self._truncate_after = 0
            self._salts, self._copied = b"", 0  # emptied: the next log is a new one
        return "truncate"

    def committed(self, now: float | None = None) -> str:
        """A writer's look, between its transactions (none of its own open): checkpoints
        a log `passive_pages` long here, so that its next transaction starts it over."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._writer = now
            return self._run_once(now, between=True)

    def run_once(self, now: float | None = None) -> str:
        """One look at the log, as the thread does it: a failure is logged, and SQLite's
        automatic checkpoints stand in until a step succeeds again."""
        with self._lock:
            return self._run_once(now, between=False)

    def _run_once(self, now: float | None, between: bool) -> str:
        try:
            done = self.step(now, between)
        except Exception:
            log.exception("checkpointer: checkpoint failed; automatic checkpoints meanwhile")
            self._close()
            if not self._failing:
                self._failing = True
                self._db.set_autocheckpoint(FALLBACK_AUTOCHECKPOINT)
            return "failed"
        if self._failing:
            self._failing = False
            self._db.set_autocheckpoint(0)
            log.info("checkpointer: checkpoints off the commit path again")
        return done

    def run(self, stop: threading.Event) -> None:
        """The thread: a look whenever woken or every INTERVAL_SECONDS."""
        try:
            while not stop.is_set():
                self.wake.wait(INTERVAL_SECONDS)
                self.wake.clear()
                if not stop.is_set():
                    self.run_once()
        finally:
            self._close()
            # Nobody checkpoints once this thread ends: the writers do it themselves.
            self._db.set_autocheckpoint(FALLBACK_AUTOCHECKPOINT)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = checkpoint_connection(self.path)
        return self._conn

    def _checkpoint(self, mode: str) -> tuple[int, int]:
        """(frames in the log, frames copied) after a checkpoint of `mode`."""
        row = self._connection().execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        return int(row[1]), int(row[2])

    def _checkpoint_truncate(self) -> tuple[bool, int, int]:
        conn = self._connection()
        conn.execute(f"PRAGMA busy_timeout={int(self._truncate_wait * 1000)}")
        try:
            row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            conn.execute("PRAGMA busy_timeout=0")
        return bool(row[0]), int(row[1]), int(row[2])

    def _close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except sqlite3.Error:
                log.debug("checkpointer: closing its connection failed", exc_info=True)


def checkpoint_connection(path: str | Path) -> sqlite3.Connection:
    """A connection to run checkpoints on: not from the engine's pool (a thread's own), in
    autocommit (a checkpoint cannot run inside a transaction), never waiting for a lock,
    with no automatic checkpoints of its own. Its synchronous=FULL (SQLite's default) syncs
    the log before the copy and the database after it: the log must not start over before
    the copy is durable."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA wal_autocheckpoint=0")
    return conn
