"""Intake pressure: while mail is arriving, processing steps aside (within limits).

On one SQLite file every writer takes the same lock, and in one process every thread
takes the same interpreter lock: a runner busy with a batch delays the SMTP sessions
waiting for their commit. Accepting mail durably is what senders wait for; turning it
into tickets can lag by a second. So the intake records when it last stored mail, and
the runner waits while it is busy — but never longer than `max_pause` in a row, so that
a sustained flood still gets processed.
"""

from __future__ import annotations

import threading
import time


class IntakePressure:
    def __init__(self, quiet_after: float = 0.05, max_pause: float = 1.0) -> None:
        self.quiet_after = quiet_after
        self.max_pause = max_pause
        self._last = 0.0
        self._waiting = 0
        self._lock = threading.Lock()

    def touch(self) -> None:
        """Mail is arriving (called by the intake on each message)."""
        with self._lock:
            self._last = time.monotonic()

    def writing(self) -> _Writing:
        """Context for an intake commit: others step aside while it waits for the lock.

        SQLite's busy handler retries with growing sleeps, so a writer that just
        committed and starts again at once wins the lock every time; the intake's commit
        would then starve behind a busy runner.
        """
        return _Writing(self)

    def _enter(self) -> None:
        with self._lock:
            self._waiting += 1
            self._last = time.monotonic()

    def _exit(self) -> None:
        with self._lock:
            self._waiting -= 1
            self._last = time.monotonic()

    def busy(self) -> bool:
        with self._lock:
            return self._waiting > 0 or time.monotonic() - self._last < self.quiet_after

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
        self._pressure._enter()

    def __exit__(self, *exc: object) -> None:
        self._pressure._exit()
