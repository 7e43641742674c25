"""Group commit for the SMTP edge: many sessions' messages share one durable transaction.

Each SMTP session awaits its own future; a single writer task gathers whatever is queued,
commits it in one transaction in a worker thread, then resolves every future. One fsync is
then paid per batch instead of per message, which is what lets acceptance keep up with the
SMTP parser when several clients send at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from gateway import spool
from gateway.errors import StoreUnavailable
from gateway.intake.commit_stats import CommitStats
from gateway.intake.log_restart import RESTART_PAGES, LogRestarts
from gateway.spool.pressure import IntakePressure
from gateway.spool.sqlite import Busy, SqliteSpoolInserter
from gateway.store.db import Database
from gateway.store.files import sqlite_file

log = logging.getLogger(__name__)

# The longest a commit waits for messages that other sessions are still sending.
GATHER_SECONDS = 0.002
# An inline commit (on the event loop) slower than this, on average, means a slow fsync:
# commits then go to the writer thread, so that the loop keeps reading the other
# sessions' DATA meanwhile and their messages share the next commit.
INLINE_SECONDS = 0.001
# A batch larger than this is never committed inline: writing megabytes into the WAL on
# the event loop would hold every other session's DATA for that long.
INLINE_BYTES = 256 * 1024
# How long the writer thread polls for SQLite's lock before it waits in SQLite's handler.
POLL_SECONDS = 10.0
# A commit slower than this is logged: senders waited that long for their 250 (another
# writer held SQLite's lock, or the disk was slow).
SLOW_COMMIT_SECONDS = 0.5


@dataclass
class _Pending:
    raw: bytes
    source: str
    mail_from: str
    rcpt_to: list[str]
    future: asyncio.Future[int] = field(repr=False)


class GroupCommitWriter:
    """Commits spool rows in batches; `submit` returns the row id once it is durable."""

    def __init__(
        self,
        db: Database,
        on_stored: Callable[[], None] | None = None,
        max_batch: int = 200,
        pressure: IntakePressure | None = None,
        restart_pages: int = RESTART_PAGES,
    ) -> None:
        self._pressure = pressure
        self._db = db
        self._on_stored = on_stored
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._inline: SqliteSpoolInserter | None = None
        self._threaded: SqliteSpoolInserter | None = None  # the writer thread's own
        # Moving average of a commit's duration (the fsync, mostly): decides inline or not.
        self._commit_seconds = 0.0
        self._committing = False  # the writer task has a batch under way
        # Sessions between MAIL and the end of DATA: a message on its way (kept by the
        # SMTP intake).
        self.arriving = 0
        self.stats = CommitStats()
        # One thread for every commit: the same pooled connection is reused each time.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool-writer")
        # The log's checkpoints after the 250s (SQLite files: gateway.intake.log_restart).
        path = sqlite_file(db.url) if db.sqlite else None
        self._restarts = LogRestarts(path, restart_pages) if path is not None else None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="spool-writer")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        self._executor.shutdown(wait=True)
        if self._restarts is not None:
            self._restarts.stop()
            self.stats.checkpoints = self._restarts.stats.checkpoints
            self.stats.copied = self._restarts.stats.copied
            self.stats.restarts = self._restarts.stats.restarts
            self.stats.waited = self._restarts.stats.waited
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        if self._threaded is not None:
            self._threaded.close()
            self._threaded = None
        log.info("%s", self.stats.line())

    async def submit(
        self, raw: bytes, source: str, mail_from: str, rcpt_to: list[str], alone: bool = False
    ) -> int:
        """Store `raw` and return once its transaction commits; StoreUnavailable if it fails.

        `alone`: the caller's session is the only one open, so no other message can join
        its commit; with nothing queued it is then committed at once on the event loop,
        however slow the disk's fsync: no other session waits for the loop meanwhile, and
        the round trip through the writer task and its thread costs three wake-ups per
        message, each a wait for a core on a busy machine (5.6 ms a message where the
        bare sink took 1.2, bench/ingest.py with processing stopped).
        """
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        if self._pressure is not None:
            self._pressure.touch()
        pending = _Pending(raw, source, mail_from, rcpt_to, future)
        if alone and self._restarts is not None:
            await self._restarts.settled()
        if alone and self._queue.empty() and not self._committing:
            ids = self._commit_inline([pending])
            if ids is not None:
                if self._on_stored is not None:
                    self._on_stored()
                if self._restarts is not None:
                    self._restarts.committed(len(raw))
                return ids[0]
        await self._queue.put(pending)
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._gather(batch)
            if self._restarts is not None:
                await self._restarts.settled()
            self._committing = True
            try:
                ids = self._commit_inline(batch) if self._inline_fast(batch) else None
                if ids is None:
                    started = loop.time()
                    ids = await loop.run_in_executor(self._executor, self._commit, batch)
                    took = loop.time() - started
                    if took > SLOW_COMMIT_SECONDS:
                        log.warning(
                            "spool commit of %d message(s) took %.2f s (waiting for the "
                            "database's write lock or the disk)",
                            len(batch),
                            took,
                        )
            except Exception as exc:  # the database is down, full, or read-only
                log.error("spool commit of %d message(s) failed: %s", len(batch), exc)
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(StoreUnavailable(str(exc)))
            else:
                for item, row_id in zip(batch, ids, strict=True):
                    if not item.future.done():
                        item.future.set_result(row_id)
                if self._on_stored is not None:
                    self._on_stored()
                if self._restarts is not None:
                    self._restarts.committed(sum(len(p.raw) for p in batch))
            finally:
                self._committing = False
                for _ in batch:
                    self._queue.task_done()

    async def _gather(self, batch: list[_Pending]) -> None:
        """Wait a moment for the messages other sessions are sending right now.

        Their clients are mid-DATA, so their messages are about to join the queue; one
        commit (one fsync) for all of them costs less than one each. Never longer than
        `GATHER_SECONDS`: a slow client must not hold the others' 250s.
        """
        if self.arriving <= 0:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GATHER_SECONDS
        while self.arriving > 0 and len(batch) < self._max_batch:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), remaining))
            except TimeoutError:
                return
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())

    def _inline_fast(self, batch: list[_Pending]) -> bool:
        """Commit on the event loop: fsyncs are fast lately, and the batch is small."""
        if self._commit_seconds > INLINE_SECONDS:
            return False
        return sum(len(p.raw) for p in batch) <= INLINE_BYTES

    def _count(self, batch: list[_Pending], inline: bool = False) -> None:
        # The loop and the writer thread never commit at once (`_committing`), so these
        # plain increments do not race.
        self.stats.commits += 1
        self.stats.messages += len(batch)
        self.stats.inline += inline

    def _timed(self, started: float) -> None:
        took = time.perf_counter() - started
        self.stats.committing += took
        self._commit_seconds = 0.8 * self._commit_seconds + 0.2 * took

    def _commit_inline(self, batch: list[_Pending]) -> list[int] | None:
        """On SQLite, commit right here when the lock is free; None when it is not.

        A local commit takes a fraction of a millisecond, less than handing it to a
        thread and back; but the event loop must never wait for a lock another writer
        holds (a runner batch, `deliver`), so a busy database goes to the writer thread,
        and so does a batch that failed here (that thread says whether the store is down).
        """
        if not self._db.sqlite:
            return None
        try:
            if self._inline is None:
                self._inline = SqliteSpoolInserter(self._db)
            started = time.perf_counter()
            ids = self._inline.insert(self._rows(batch))
            self._timed(started)
            self._count(batch, inline=True)
            return ids
        except Busy:
            self.stats.busy += 1
            return None
        except Exception as exc:
            log.warning("spool hot path failed (%s); trying the writer thread", exc)
            if self._inline is not None:
                self._inline.close()
                self._inline = None
            return None

    def _commit(self, batch: list[_Pending]) -> list[int]:
        """In the writer thread: the hot path's INSERT, retried every millisecond while
        another writer holds the lock (for `POLL_SECONDS`), then the ordinary
        transaction, which waits for the lock with SQLite's own handler. Processing is
        told that a commit waits (`pressure.writing`) and steps aside.

        SQLite's busy handler sleeps up to 100 ms between its tries: a writer that
        commits and begins again within that time takes the lock first, again and
        again, and the senders' 250s wait for seconds. Polling catches the gap.
        """
        if not self._db.sqlite:
            return self._waiting_for_lock(batch)
        rows = self._rows(batch)
        entered = time.perf_counter()
        deadline = time.monotonic() + POLL_SECONDS
        with self._pressure.writing() if self._pressure is not None else contextlib.nullcontext():
            while True:
                try:
                    if self._threaded is None:
                        self._threaded = SqliteSpoolInserter(self._db)
                    started = time.perf_counter()
                    ids = self._threaded.insert(rows)
                    self._timed(started)
                    self.stats.lock_wait += started - entered
                    self._count(batch)
                    return ids
                except Busy:
                    self.stats.busy += 1
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(0.001)
                except Exception as exc:
                    log.warning("spool hot path failed in the writer thread (%s)", exc)
                    if self._threaded is not None:
                        self._threaded.close()
                        self._threaded = None
                    break
            return self._store(batch)

    def _waiting_for_lock(self, batch: list[_Pending]) -> list[int]:
        if self._pressure is not None:
            with self._pressure.writing():
                return self._store(batch)
        return self._store(batch)

    def _store(self, batch: list[_Pending]) -> list[int]:
        rows = self._rows(batch)
        started = time.perf_counter()
        with self._db.write_core() as conn:
            ids = spool.insert_rows(conn, rows)
        self.stats.lock_wait += time.perf_counter() - started
        self._count(batch)
        return ids

    @staticmethod
    def _rows(batch: list[_Pending]) -> list[dict[str, object]]:
        return [
            spool.row_values(p.raw, source=p.source, mail_from=p.mail_from, rcpt_to=p.rcpt_to)
            for p in batch
        ]
