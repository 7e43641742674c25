"""Intake pressure: while mail is arriving, processing steps aside (within limits).

On one SQLite file every writer takes the same lock: a runner busy with a batch delays the
SMTP sessions waiting for their commit. Accepting mail durably is what senders wait for;
turning it into tickets can lag by a second. So the intake records when it last stored
mail, and the runner waits while it is busy — but never longer than `max_pause` in a row,
so that a sustained flood still gets processed.

The daemon runs intake and processing in two processes, so the state lives in a small
shared array. It is written without a cross-process lock — a process killed while holding
one would stall the other for good — by giving each process a slot of its own: slot 0 for
the SMTP process, slot 1 for the processing process (whose IMAP pollers are intake too).
Each slot holds (time of the last stored mail, commits waiting for the lock); aligned
8-byte stores are atomic, and a reader only compares them with its own clock
(CLOCK_MONOTONIC is the same in every process).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import dataclass
from typing import Any

_SLOTS = 2


@dataclass(frozen=True)
class PressureShare:
    """What the processing process needs to join the intake's pressure (picklable at spawn)."""

    state: Any
    quiet_after: float
    max_pause: float


class IntakePressure:
    def __init__(
        self,
        quiet_after: float = 0.05,
        max_pause: float = 1.0,
        *,
        state: Any | None = None,
        slot: int = 0,
    ) -> None:
        self.quiet_after = quiet_after
        self.max_pause = max_pause
        if state is None:
            state = multiprocessing.get_context("spawn").RawArray("d", 2 * _SLOTS)
        self._state = state
        self._last = 2 * slot
        self._waiting = 2 * slot + 1
        self._lock = threading.Lock()  # the threads of this process, on this slot

    def share(self) -> PressureShare:
        return PressureShare(self._state, self.quiet_after, self.max_pause)

    @classmethod
    def joined(cls, share: PressureShare) -> IntakePressure:
        """The processing process's view: same state, its own slot.

        The slot starts afresh: a predecessor killed inside `writing()` left its count.
        """
        pressure = cls(share.quiet_after, share.max_pause, state=share.state, slot=1)
        pressure._state[pressure._last] = 0.0
        pressure._state[pressure._waiting] = 0.0
        return pressure

    def touch(self) -> None:
        """Mail is arriving (called by the intake on each message)."""
        self._state[self._last] = time.monotonic()

    def writing(self) -> _Writing:
        """Context for an intake commit: others step aside while it waits for the lock.

        SQLite's busy handler retries with growing sleeps, so a writer that just
        committed and starts again at once wins the lock every time; the intake's commit
        would then starve behind a busy runner.
        """
        return _Writing(self)

    def _add_waiting(self, delta: int) -> None:
        with self._lock:
            self._state[self._waiting] += delta
            self._state[self._last] = time.monotonic()

    def busy(self) -> bool:
        state = self._state
        now = time.monotonic()
        for slot in range(_SLOTS):
            if state[2 * slot + 1] > 0 or now - state[2 * slot] < self.quiet_after:
                return True
        return False

    def commit_waiting(self) -> bool:
        """An intake commit is waiting for the database's lock right now."""
        state = self._state
        return any(state[2 * slot + 1] > 0 for slot in range(_SLOTS))

    def let_waiting_commit(self, stop: threading.Event | None = None) -> None:
        """Wait (at most `quiet_after`) while an intake commit waits for the lock.

        SQLite's busy handler sleeps between its tries; a writer starting again at
        once after its own commit would take the lock before the intake every time.
        """
        deadline = time.monotonic() + self.quiet_after
        while self.commit_waiting() and time.monotonic() < deadline:
            if stop is not None and stop.is_set():
                return
            time.sleep(0.001)

    def yield_to_intake(self, stop: threading.Event | None = None) -> float:
        """Wait while the intake is busy, at most `max_pause`; the seconds waited."""
        start = time.monotonic()
        while self.busy() and time.monotonic() - start < self.max_pause:
            if stop is not None and stop.is_set():
                break
            time.sleep(self.quiet_after / 2)
        return time.monotonic() - start


class _Writing:
    def __init__(self, pressure: IntakePressure) -> None:
        self._pressure = pressure

    def __enter__(self) -> None:
        self._pressure._add_waiting(1)

    def __exit__(self, *exc: object) -> None:
        self._pressure._add_waiting(-1)
