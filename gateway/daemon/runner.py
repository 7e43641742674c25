"""The runner: takes spooled messages in order and puts each through the pipeline.

A batch of messages shares one transaction (group commit), each message in its own
savepoint (gateway.daemon.outcome): a message whose handler raises is rolled back alone
and quarantined with its stage and traceback. Everything a message causes — ticket,
events, outgoing mail — commits together with its spool state, so a crash at any point
either did all of it or none.

A batch is claimed first (gateway.daemon.claiming, which also says how interruptions are
counted per message), then parsed outside the write transaction
(gateway.daemon.prepare), then processed. An SMTP commit that waits for the lock ends
the batch's transaction after the message under way: what is done commits, and the rest
of the claimed batch goes on in the next transaction (on SQLite every writer takes the
same lock, and a sender's 250 waits for that commit). A message found claimed was in a
batch that a crash interrupted: each is then processed in a transaction of its own, and
one found interrupted `MAX_ATTEMPTS` times while processed alone is quarantined
unprocessed. Innocent mail that merely shared a batch with a message that kills the
process is never quarantined.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value

from gateway.daemon.claiming import CLAIMED, claim
from gateway.daemon.outcome import process_one, quarantine
from gateway.daemon.prepare import Prepared, parse_outside
from gateway.pipeline import Stage, build_pipeline
from gateway.services import Services
from gateway.spool.claims import ClaimLocks
from gateway.spool.pressure import IntakePressure
from gateway.store.db import Database
from gateway.store.model import Inbound, utcnow

__all__ = ["CLAIMED", "MAX_ATTEMPTS", "MAX_LAG_SECONDS", "Runner"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

# While mail arrives, processing steps aside until the oldest message to process is this
# far behind: a burst is accepted first and processed once it is over (in large
# transactions, fewer fsyncs), but under a sustained flood processing goes on (in short
# transactions, each ended early for an intake commit that waits) instead of falling
# ever further behind. Each transaction of the runner holds SQLite's one write lock while
# the pipeline runs (tens of ms a message on a busy machine, at the processing process's
# lower priority): begun during a burst, they held senders' 250s for up to 0.7 s.
MAX_LAG_SECONDS = 30.0


class Runner:
    """Processes the spool; `run_once` for tests and tools, `run` for the daemon thread."""

    def __init__(
        self,
        db: Database,
        services: Services,
        on_committed: Callable[[], object] | None = None,
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
        # Claimed messages whose transaction an intake commit ended early: processed
        # before the next claim (a claim would take them for a crash's leftovers).
        self._held: list[int] = []
        self._held_parsed: dict[int, Prepared] = {}  # their messages, parsed already
        self.wake = threading.Event()

    def run(self, stop: threading.Event) -> None:
        """Process until `stop` is set; sleeps until woken or the poll interval passes."""
        poll = self._services.cfg.runner.poll_seconds
        while not stop.is_set():
            self.wake.clear()
            pressure = self._pressure
            behind = False
            if pressure is not None and pressure.busy():
                if self._lag() < MAX_LAG_SECONDS:
                    pressure.yield_to_intake(stop)
                    if pressure.busy():
                        continue  # still arriving, and nothing has waited long yet
                else:
                    # Far behind: no pause, but an intake commit waiting for the lock
                    # right now goes first (it takes milliseconds). The batch is small
                    # and ends early for the next one (see _process_batch).
                    pressure.let_waiting_commit(stop)
                    behind = True
            try:
                done = self.run_once(steps_aside=not behind)
            except Exception:
                # The database is unreachable or similar: nothing was lost, try again later.
                log.exception("runner: batch failed; retrying")
                stop.wait(min(poll * 5, 10))
                continue
            if done == 0 and not self._held:
                self.wake.wait(poll)
        self._hand_back_held()

    def _hand_back_held(self) -> None:
        """At stop: a batch held for a burst (or left by a transaction ended early) was
        never begun; its claim is handed back, so that the next start takes it for new
        mail, not for the leftovers of a crash (processed one by one, counted)."""
        ids, self._held, self._held_parsed = self._held, [], {}
        if not ids:
            return
        try:
            with self._db.write() as session:
                session.execute(
                    update(Inbound)
                    .where(
                        Inbound.id.in_(ids),
                        Inbound.state == "new",
                        Inbound.attempts == CLAIMED,
                    )
                    .values(attempts=0)
                )
        except Exception:
            # Left claimed: the next start processes them alone, as after a crash.
            log.exception("runner: could not hand back %d held message(s)", len(ids))
        finally:
            self._claims.release(ids)

    def run_once(self, limit: int | None = None, steps_aside: bool = False) -> int:
        """Process one batch; returns how many messages it finished.

        `steps_aside` (the daemon's loop, unless processing is far behind): mail that
        began to arrive while the batch was claimed and parsed keeps the batch from
        beginning its write transaction; it is held, parsed, for the next call.
        """
        if self._held:
            ids, interrupted = self._held, False
            self._held = []
        else:
            batch_size = limit or self._services.cfg.runner.batch_size
            if limit is None and self._pressure is not None and self._pressure.busy():
                # Mail is still arriving: short transactions, so its commits wait less.
                batch_size = max(1, batch_size // 5)
            ids, interrupted = claim(self._db, self._claims, batch_size)
        if not ids:
            return 0
        rest: list[int] = []
        try:
            if interrupted:
                # Crash recovery: isolate each message that was being processed at the crash.
                for row_id in ids:
                    self._process_batch([row_id], stops=False)
            else:
                rest = self._process_batch(ids, steps_aside=steps_aside)
        finally:
            # Committed, or failed with the claim's mark kept: either way no longer ours.
            # The rest of a batch ended early stays claimed (and locked) for the next call.
            held = set(rest)
            self._claims.release([i for i in ids if i not in held])
        self._held = rest
        if self._on_committed is not None and len(rest) < len(ids):
            self._on_committed()
        return len(ids) - len(rest)

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

    def _parse_outside(self, ids: list[int]) -> dict[int, Prepared]:
        """The batch parsed before its transaction (gateway.daemon.prepare)."""
        seconds = self._services.cfg.runner.parse_seconds
        return parse_outside(self._db, ids, seconds, self._reads_bounces)

    def _process_batch(
        self, ids: list[int], stops: bool = True, steps_aside: bool = False
    ) -> list[int]:
        """Process `ids` in one transaction; those left when an intake commit waiting for
        the lock ended it early (`stops`), to process next; all of them when mail began
        to arrive before the transaction (`steps_aside`)."""
        prepared, self._held_parsed = self._held_parsed, {}
        if self._parse_first:
            prepared.update(self._parse_outside([i for i in ids if i not in prepared]))
        pressure = self._pressure if stops and self._db.sqlite else None
        if steps_aside and pressure is not None and pressure.busy():
            # A burst began while the batch was claimed and parsed. Begun now, the
            # transaction would hold the lock for a first message's pipeline (tens of
            # ms at this process's lower priority) while the burst's commits wait; the
            # loop steps aside first and comes back to the batch, parsed already.
            self._held_parsed = prepared
            return list(ids)
        with self._db.write() as session:
            query = select(Inbound).where(Inbound.id.in_(ids), Inbound.state == "new")
            if prepared:
                query = query.options(defer(Inbound.raw))
            if not self._db.sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = sorted(session.scalars(query), key=lambda r: r.id)
            for done, row in enumerate(rows):
                if done and pressure is not None and pressure.commit_waiting():
                    # One message's processing is the longest a sender's commit waits.
                    rest = [r.id for r in rows[done:]]
                    self._held_parsed = {i: prepared[i] for i in rest if i in prepared}
                    return rest
                if row.id in prepared:
                    # The bytes read before the transaction (never changed since).
                    set_committed_value(row, "raw", prepared[row.id][0])
                if row.attempts // 2 > MAX_ATTEMPTS:
                    quarantine(
                        row,
                        "runner",
                        f"processing was interrupted {MAX_ATTEMPTS} times while this "
                        "message alone was being processed",
                        [],
                    )
                    continue
                process_one(session, self._services, self._pipeline, row, prepared.get(row.id))
        return []
