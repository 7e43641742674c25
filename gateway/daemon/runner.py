"""The runner: takes spooled messages in order and puts each through the pipeline.

A batch of messages shares one transaction (group commit), each message in its own
savepoint: a message whose handler raises is rolled back alone and quarantined with its
stage and traceback. Everything a message causes — ticket, events, outgoing mail — commits
together with its spool state, so a crash at any point either did all of it or none.

Interruptions are counted per message, never per batch, in `Inbound.attempts`: 1 marks a
message claimed in the ordinary way (alone or in a batch), and each claim to process it
alone after an interruption adds 2, so `attempts // 2` is how often it was processed
alone. A message found claimed was in a batch that a crash interrupted, but which of the
batch was being processed is not known, so none is blamed: they are processed one per
transaction. One found interrupted `MAX_ATTEMPTS` times while processed alone is
quarantined unprocessed. Innocent mail that merely shared a batch with a message that
kills the process is never quarantined. (0 to 1 keeps the record's size, so SQLite
rewrites one page of the row, not its whole raw message.)
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value

from gateway.bounces import Report, read_bounce
from gateway.errors import StopProcessing
from gateway.guard.budget import Budget
from gateway.outgoing.outbox import INBOUND_KEY
from gateway.parse import ParsedMessage, parse_message
from gateway.pipeline import Context, Stage, build_pipeline
from gateway.services import Services
from gateway.spool.claims import ClaimLocks
from gateway.spool.pressure import IntakePressure
from gateway.store import fresh
from gateway.store.db import Database
from gateway.store.model import Inbound, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A message's raw bytes, parsed form and bounce report, read before its transaction.
_Prepared = tuple[bytes, ParsedMessage, Report | None]
# `Inbound.attempts` of a message claimed, not yet processed alone (see above).
CLAIMED = 1

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
        # Parse before the transaction only for a pipeline that starts with parsing.
        self._parse_first = bool(self._pipeline) and self._pipeline[0].name == "parse"
        self._reads_bounces = any(stage.name == "bounce" for stage in self._pipeline)
        self._on_committed = on_committed
        self._claims = ClaimLocks(db)
        self.wake = threading.Event()

    def run(self, stop: threading.Event) -> None:
        """Process until `stop` is set; sleeps until woken or the poll interval passes."""
        poll = self._services.cfg.runner.poll_seconds
        while not stop.is_set():
            self.wake.clear()
            limit = None
            pressure = self._pressure
            if pressure is not None and pressure.busy():
                if self._lag() < MAX_LAG_SECONDS:
                    pressure.yield_to_intake(stop)
                else:
                    # Far behind: no pause, but an intake commit waiting for the lock
                    # right now goes first (it takes milliseconds).
                    pressure.let_waiting_commit(stop)
                if pressure.busy():
                    # Still arriving: one message per transaction, the shortest hold of
                    # the write lock, so that no sender waits for more than one message's
                    # processing (a batch under load took seconds), however far behind.
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
        try:
            if interrupted:
                # Crash recovery: isolate each message that was being processed at the crash.
                for row_id in ids:
                    self._process_batch([row_id])
            else:
                self._process_batch(ids)
        finally:
            # Committed, or failed with the claim's mark kept: either way no longer ours.
            self._claims.release(ids)
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
        """Mark the next batch claimed; say whether any of it was interrupted before."""
        taken: list[int] = []
        try:
            return self._claim_rows(batch_size, taken)
        except BaseException:
            # The claim did not commit: its locks must not keep the rows from the others.
            self._claims.release(taken)
            raise

    def _claim_rows(self, batch_size: int, taken: list[int]) -> tuple[list[int], bool]:
        with self._db.write() as session:
            query = (
                select(Inbound.id, Inbound.attempts)
                .where(Inbound.state == "new")
                .order_by(Inbound.id)
                .limit(batch_size)
            )
            if not self._db.sqlite:
                # Another daemon's claim, even one not yet processed, is not ours to take,
                # nor a sign of a crash (gateway.spool.claims).
                query = query.where(self._claims.unclaimed()).with_for_update(skip_locked=True)
            rows = list(session.execute(query))
            if not self._db.sqlite:
                # Locked before the claim commits; a row another daemon got first is left.
                taken += self._claims.take([r.id for r in rows])
                rows = [r for r in rows if r.id in taken]
            if not rows:
                return [], False
            interrupted = [r.id for r in rows if r.attempts > 0]
            if interrupted:
                # Recovery goes one message at a time from the first interrupted one.
                rows = [r for r in rows if r.id >= interrupted[0]][:1]
                self._claims.release([i for i in taken if i != rows[0].id])
                log.warning(
                    "runner: message #%d was interrupted before; retrying alone", rows[0].id
                )
            ids = [r.id for r in rows]
            claimed = update(Inbound).where(Inbound.id.in_(ids))
            if interrupted:
                session.execute(claimed.values(attempts=Inbound.attempts + 2))
            else:
                session.execute(claimed.values(attempts=CLAIMED))
            return ids, bool(interrupted)

    def _parse_outside(self, ids: list[int]) -> dict[int, _Prepared]:
        """The batch's messages parsed, and read as bounces, with no write transaction open.

        Parsing (HTML above all) takes most of a message's time, and reading a bounce is
        a parse of its own; done under the write lock they would keep SQLite's intake
        waiting for them (a 10 MB message: seconds). The raw bytes come along, so that
        the transaction need not read them again.
        """
        with self._db.read() as session:
            raws = list(
                session.execute(
                    select(Inbound.id, Inbound.raw).where(
                        Inbound.id.in_(ids), Inbound.state == "new"
                    )
                )
            )
        seconds = self._services.cfg.runner.parse_seconds
        bounces = self._reads_bounces
        prepared: dict[int, _Prepared] = {}
        for row in raws:
            parsed = parse_message(row.raw, Budget(seconds))
            # The bounce reader takes the parse's stdlib tree (no second parse of the
            # bytes); then the tree goes, as the batch keeps its messages until it commits.
            report = read_bounce(row.raw, parsed.tree) if bounces else None
            parsed.tree = None
            prepared[row.id] = (row.raw, parsed, report)
        return prepared

    def _process_batch(self, ids: list[int]) -> None:
        prepared = self._parse_outside(ids) if self._parse_first else {}
        with self._db.write() as session:
            query = select(Inbound).where(Inbound.id.in_(ids), Inbound.state == "new")
            if prepared:
                query = query.options(defer(Inbound.raw))
            if not self._db.sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = sorted(session.scalars(query), key=lambda r: r.id)
            for row in rows:
                if row.id in prepared:
                    # The bytes read before the transaction (never changed since).
                    set_committed_value(row, "raw", prepared[row.id][0])
                if row.attempts // 2 > MAX_ATTEMPTS:
                    self._quarantine(
                        row,
                        "runner",
                        f"processing was interrupted {MAX_ATTEMPTS} times while this "
                        "message alone was being processed",
                        [],
                    )
                    continue
                self._process_one(session, row, prepared.get(row.id))

    def _process_one(
        self,
        session: Session,
        row: Inbound,
        prepared: _Prepared | None = None,
    ) -> None:
        ctx = Context(session=session, services=self._services, inbound=row)
        if prepared is not None:
            _raw, ctx.parsed, ctx.bounce = prepared
            ctx.bounce_read = True
        stage_name = "start"
        session.info[INBOUND_KEY] = row.id
        # What this message creates is known without reading it back (gateway.store.fresh).
        fresh.begin(session)
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
                fresh.write_pending(session)
                self._finish(row, ctx, state)
        except Exception:
            # The savepoint is rolled back: the message is kept with its failing stage.
            # Objects cached for the batch may have come from the rolled-back work.
            session.info.clear()
            session.expire(row)
            self._quarantine(row, stage_name, traceback.format_exc(), ctx.trace)
        finally:
            fresh.end(session)
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
        _count(state, row)
        tag = ctx.services.tag(ctx.ticket.id) if ctx.ticket is not None else ""
        sender = ctx.parsed.sender.email if ctx.parsed is not None else row.mail_from
        # The one line per message an admin greps for; JSON logs carry the fields apart.
        log.info(
            "message #%d %s: Message-ID %s from %s%s",
            row.id,
            state,
            row.message_id or "-",
            sender or "<>",
            f" ticket {tag}" if tag else "",
            extra={
                "inbound": row.id,
                "outcome": state,
                "message_id": row.message_id or "",
                "sender": sender or "",
                "ticket": tag,
            },
        )

    @staticmethod
    def _quarantine(row: Inbound, stage: str, error: str, trace: list[str]) -> None:
        _count("quarantined", row)
        row.state = "quarantined"
        row.stage = stage
        row.error = error
        row.trace = [*trace, f"{stage}: quarantined"]
        row.processed_at = utcnow()
        log.error(
            "message #%d quarantined at stage %s: Message-ID %s from %s: %s",
            row.id,
            stage,
            row.message_id or "-",
            row.mail_from or "<>",
            error.strip().splitlines()[-1] if error.strip() else "",
            extra={
                "inbound": row.id,
                "outcome": "quarantined",
                "message_id": row.message_id or "",
                "sender": row.mail_from or "",
                "stage": stage,
            },
        )


def _count(outcome: str, row: Inbound) -> None:
    # Imported on first use, so that the daemon can choose prometheus-client's
    # multiprocess mode before this process loads it (gateway.monitor.metrics).
    from gateway.monitor import metrics

    metrics.processed(outcome, row.received_at, utcnow())
