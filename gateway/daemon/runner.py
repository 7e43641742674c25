"""The runner: takes spooled messages in order and puts each through the pipeline.

A batch of messages shares one transaction (group commit), each message in its own
savepoint: a message whose handler raises is rolled back alone and quarantined with its
stage and traceback. Everything a message causes — ticket, events, outgoing mail — commits
together with its spool state, so a crash at any point either did all of it or none.

Before a batch is processed its attempt counters are committed. A message found with an
attempt already counted was interrupted by a crash; such messages are processed one per
transaction so that one that kills the process cannot take others down with it, and one
that has been interrupted `MAX_ATTEMPTS` times is quarantined unprocessed.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.errors import StopProcessing
from gateway.outgoing.outbox import INBOUND_KEY
from gateway.pipeline import Context, Stage, build_pipeline
from gateway.services import Services
from gateway.spool.pressure import IntakePressure
from gateway.store.db import Database
from gateway.store.model import Inbound, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

# Processing steps aside for arriving mail only while it is less than this far behind:
# a burst is accepted first and processed a moment later, but under a sustained flood
# processing goes on at full speed (in short transactions) instead of falling ever
# further behind.
MAX_LAG_SECONDS = 5.0


class Runner:
    """Processes the spool; `run_once` for tests and tools, `run` for the daemon thread."""

    def __init__(
        self,
        db: Database,
        services: Services,
        on_committed: Callable[[], None] | None = None,
        pipeline: Sequence[Stage] | None = None,
        pressure: IntakePressure | None = None,
    ) -> None:
        self._db = db
        self._pressure = pressure
        self._services = services
        self._pipeline = tuple(pipeline) if pipeline is not None else build_pipeline()
        self._on_committed = on_committed
        self.wake = threading.Event()

    def run(self, stop: threading.Event) -> None:
        """Process until `stop` is set; sleeps until woken or the poll interval passes."""
        poll = self._services.cfg.runner.poll_seconds
        while not stop.is_set():
            self.wake.clear()
            limit = None
            pressure = self._pressure
            if pressure is not None and pressure.busy() and self._lag() < MAX_LAG_SECONDS:
                pressure.yield_to_intake(stop)
                if pressure.busy():
                    # Still arriving after the longest pause: one message, the shortest
                    # hold of the write lock, then step aside again.
                    limit = 1
            try:
                done = self.run_once(limit)
            except Exception:
                # The database is unreachable or similar: nothing was lost, try again later.
                log.exception("runner: batch failed; retrying")
                stop.wait(min(poll * 5, 10))
                continue
            if done == 0:
                self.wake.wait(poll)

    def run_once(self, limit: int | None = None) -> int:
        """Process one batch; returns how many messages it finished."""
        batch_size = limit or self._services.cfg.runner.batch_size
        if limit is None and self._pressure is not None and self._pressure.busy():
            # Mail is still arriving: short transactions, so its commits wait less.
            batch_size = max(1, batch_size // 5)
        ids, interrupted = self._claim(batch_size)
        if not ids:
            return 0
        if interrupted:
            # Crash recovery: isolate each message that was being processed at the crash.
            for row_id in ids:
                self._process_batch([row_id])
        else:
            self._process_batch(ids)
        if self._on_committed is not None:
            self._on_committed()
        return len(ids)

    def _lag(self) -> float:
        """Seconds since the oldest message still to process was received (0: none)."""
        with self._db.read() as session:
            oldest = session.scalar(
                select(Inbound.received_at)
                .where(Inbound.state == "new")
                .order_by(Inbound.id)
                .limit(1)
            )
        return 0.0 if oldest is None else (utcnow() - oldest).total_seconds()

    def drain(self) -> int:
        """Process until the spool has nothing new; returns the number processed."""
        total = 0
        while n := self.run_once():
            total += n
        return total

    def _claim(self, batch_size: int) -> tuple[list[int], bool]:
        """Count an attempt on the next batch; say whether any was interrupted before."""
        with self._db.write() as session:
            query = (
                select(Inbound.id, Inbound.attempts)
                .where(Inbound.state == "new")
                .order_by(Inbound.id)
                .limit(batch_size)
            )
            if not self._db.sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = list(session.execute(query))
            if not rows:
                return [], False
            interrupted = [r.id for r in rows if r.attempts > 0]
            if interrupted:
                # Recovery goes one message at a time from the first interrupted one.
                rows = [r for r in rows if r.id >= interrupted[0]][:1]
                log.warning(
                    "runner: message #%d was interrupted before; retrying alone", rows[0].id
                )
            ids = [r.id for r in rows]
            session.execute(
                update(Inbound).where(Inbound.id.in_(ids)).values(attempts=Inbound.attempts + 1)
            )
            return ids, bool(interrupted)

    def _process_batch(self, ids: list[int]) -> None:
        with self._db.write() as session:
            query = select(Inbound).where(Inbound.id.in_(ids), Inbound.state == "new")
            if not self._db.sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = sorted(session.scalars(query), key=lambda r: r.id)
            for row in rows:
                if row.attempts > MAX_ATTEMPTS:
                    self._quarantine(
                        row, "runner", f"processing was interrupted {MAX_ATTEMPTS} times", []
                    )
                    continue
                self._process_one(session, row)

    def _process_one(self, session: Session, row: Inbound) -> None:
        ctx = Context(session=session, services=self._services, inbound=row)
        stage_name = "start"
        session.info[INBOUND_KEY] = row.id
        try:
            # Each message starts with a clean session: its savepoint's release flushed
            # the one before. Within a message, stages flush where they need ids, so the
            # many small queries of the pipeline do not each pay for a flush.
            with session.begin_nested(), session.no_autoflush:
                try:
                    for stage in self._pipeline:
                        stage_name = stage.name
                        stage.run(ctx)
                    state = "done"
                except StopProcessing as stop:
                    ctx.note(f"{stage_name}: {stop.reason}")
                    state = stop.state
                self._finish(row, ctx, state)
        except Exception:
            # The savepoint is rolled back: the message is kept with its failing stage.
            # Objects cached for the batch may have come from the rolled-back work.
            session.info.clear()
            session.expire(row)
            self._quarantine(row, stage_name, traceback.format_exc(), ctx.trace)
        finally:
            session.info.pop(INBOUND_KEY, None)

    @staticmethod
    def _finish(row: Inbound, ctx: Context, state: str) -> None:
        row.state = state
        row.trace = [*ctx.trace]
        row.processed_at = utcnow()
        if ctx.parsed is not None:
            row.message_id = ctx.inbound_message_id
        if ctx.dedupe_key is not None:
            row.dedupe_key = ctx.dedupe_key
        if ctx.ticket is not None:
            row.ticket_id = ctx.ticket.id
        log.info(
            "message #%d: %s%s",
            row.id,
            state,
            f" (ticket {ctx.ticket.id})" if ctx.ticket is not None else "",
        )

    @staticmethod
    def _quarantine(row: Inbound, stage: str, error: str, trace: list[str]) -> None:
        row.state = "quarantined"
        row.stage = stage
        row.error = error
        row.trace = [*trace, f"{stage}: quarantined"]
        row.processed_at = utcnow()
        log.error(
            "message #%d quarantined at stage %s: %s",
            row.id,
            stage,
            error.strip().splitlines()[-1] if error.strip() else "",
        )
