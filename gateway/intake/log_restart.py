"""The SMTP intake's own checkpoints (SQLite): a burst's commits overwrite the log, not
append to it.

A commit's fsync (SQLite calls fdatasync) costs more when the commit's frames go past the
-wal file's current end: the file's size changed, so the file system commits its journal
too (measured on a quiet disk: 0.36-0.54 ms a commit against 0.17-0.31 ms for one whose
frames overwrite a log that started over). The log starts over in a write transaction
begun once a checkpoint has copied all of it; during an SMTP burst nobody does that (the
processing process steps aside, and its checkpointer leaves the log to the runner,
gateway.store.checkpoint), so the log grows and every acceptance commit appends.

So the spool writer checkpoints too, once the log is `pages` long: a PASSIVE checkpoint
(it never waits for a reader or a writer) in a thread of its own, started after the
commit's 250 has been answered, so that it runs while the client sends its next message.
The next commit waits for it to finish (`settled`, at most `WAIT_SECONDS`): begun after a
checkpoint that copied the whole log, its transaction starts the log over, and the file
keeps its size. A commit begun during the checkpoint would append, and the log would go
on growing (with a slow disk's fsyncs, a checkpoint outlasts the client's next message).

A checkpoint syncs the log and the database file, and the log's restart syncs its new
header: three fsyncs every `pages` pages, against one cheaper fsync for each commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from gateway.store.checkpoint import PASSIVE_PAGES, checkpoint_connection
from gateway.store.wal_log import wal_log

log = logging.getLogger(__name__)

# The log's length (pages) at which the spool writer checkpoints it: the processing
# process's checkpointer lets the log grow this long (its file is that long already).
RESTART_PAGES = PASSIVE_PAGES
# A look at the log once the commits since the last one stored this share of the log's
# mark (raw mail: each message adds at least its own size to the log): each look costs
# ~20 system calls, too many for every message.
LOOK_SHARE = 16
# The longest a commit waits for a checkpoint under way: a large database's checkpoint
# writes scattered pages, and one sender's 250 must not wait for all of them.
WAIT_SECONDS = 0.05


@dataclass
class RestartStats:
    """The checkpoints run, the frames they copied into the database, the failures."""

    checkpoints: int = 0
    copied: int = 0
    failures: int = 0
    restarts: int = 0  # logs begun since the first look (new salts)
    waited: float = 0.0  # seconds commits waited for a checkpoint to finish


class LogRestarter:
    """PASSIVE checkpoints of one SQLite file's log once it is `pages` long."""

    def __init__(self, path: Path, pages: int = RESTART_PAGES) -> None:
        self.path = path
        self.pages = pages
        self.stats = RestartStats()
        self._conn: sqlite3.Connection | None = None
        # The log our last checkpoint saw (its salts: a new log has new ones), and its
        # length at which to try again should the log not have started over (a reader
        # kept it): not at every commit, each try syncs the files.
        self._salts = b""
        self._again_at = 0
        self._failing = False

    def due(self) -> bool:
        """Whether the log is long enough to checkpoint (reads the -wal file alone)."""
        try:
            length, salts = wal_log(self.path)
        except OSError as exc:
            self._failed(exc)
            return False
        if salts != self._salts and self._salts:
            self.stats.restarts += 1
            self._salts = salts
            self._again_at = 0
        if length < self.pages:
            return False
        return length >= self._again_at

    def checkpoint(self) -> None:
        """A PASSIVE checkpoint (in the writer's checkpoint thread)."""
        try:
            length, salts = wal_log(self.path)
            row = self._connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except (OSError, sqlite3.Error) as exc:
            self._failed(exc)
            return
        if self._failing:
            log.info("spool writer: checkpoints of the write-ahead log succeed again")
            self._failing = False
        self.stats.checkpoints += 1
        self.stats.copied += max(0, int(row[2]))
        if salts != self._salts and self._salts:
            self.stats.restarts += 1
        self._salts = salts
        self._again_at = max(length, int(row[1])) + max(1, self.pages // 8)

    def _failed(self, exc: Exception) -> None:
        self.stats.failures += 1
        if not self._failing:
            # Commits go on appending meanwhile; the processing process's checkpointer
            # and the intake connection's own high mark keep the log bounded.
            log.warning("spool writer: checkpoint of the write-ahead log failed: %s", exc)
            self._failing = True
        self.close()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = checkpoint_connection(self.path)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except sqlite3.Error:
                log.debug("spool writer: closing the checkpoint connection failed", exc_info=True)


class LogRestarts:
    """The event loop's side: a look at the log after each commit, a checkpoint when due
    in a thread of its own, and the next commit waits for it."""

    def __init__(self, path: Path, pages: int = RESTART_PAGES) -> None:
        self.restarter = LogRestarter(path, pages)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool-checkpoint")
        self._scheduled = False
        self._running: asyncio.Future[None] | None = None
        self._look_bytes = pages * 4096 // LOOK_SHARE
        self._stored = 0  # bytes of mail committed since the last look

    @property
    def stats(self) -> RestartStats:
        return self.restarter.stats

    def committed(self, size: int) -> None:
        """After a commit of `size` bytes of mail, on the event loop, before the senders
        are answered.

        `call_soon` runs the look after the steps already queued (the sessions whose
        250s this commit makes): the look reads ~15 words of the -wal file, and a due
        checkpoint runs while the clients send their next messages.
        """
        self._stored += size
        if self._scheduled or self._running is not None or self._stored < self._look_bytes:
            return
        self._stored = 0
        self._scheduled = True
        asyncio.get_running_loop().call_soon(self._look)

    def _look(self) -> None:
        self._scheduled = False
        if self._running is not None or not self.restarter.due():
            return
        try:
            running = asyncio.get_running_loop().run_in_executor(
                self._executor, self.restarter.checkpoint
            )
        except RuntimeError:  # stopped meanwhile: its executor is shut down
            return
        self._running = running
        running.add_done_callback(self._done)

    def _done(self, running: asyncio.Future[None]) -> None:
        if self._running is running:
            self._running = None
        if not running.cancelled() and running.exception() is not None:
            log.error("spool writer: a checkpoint failed: %s", running.exception())

    async def settled(self) -> None:
        """Before a commit: let a checkpoint under way finish (`WAIT_SECONDS` at most), so
        that the commit starts the log over."""
        running = self._running
        if running is not None:
            started = time.perf_counter()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(running), WAIT_SECONDS)
            self.stats.waited += time.perf_counter() - started

    def stop(self) -> None:
        """Let a checkpoint under way finish, then close the connection."""
        self._executor.shutdown(wait=True)
        self.restarter.close()
