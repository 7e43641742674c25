"""Intake pressure: processing waits while mail arrives, but never starves."""

from __future__ import annotations

import multiprocessing
import threading
import time

from gateway.spool.pressure import IntakePressure, PressureShare
from tests.harness import wait_until


def test_quiet_intake_costs_no_wait() -> None:
    pressure = IntakePressure(quiet_after=0.05, max_pause=1.0)
    assert pressure.yield_to_intake() < 0.01


def test_busy_intake_is_waited_for_until_it_quiets() -> None:
    pressure = IntakePressure(quiet_after=0.05, max_pause=2.0)
    pressure.touch()
    waited = pressure.yield_to_intake()
    assert 0.04 <= waited < 0.5


def test_a_flood_cannot_starve_processing() -> None:
    pressure = IntakePressure(quiet_after=0.05, max_pause=0.3)
    stop = threading.Event()

    def flood() -> None:
        while not stop.is_set():
            pressure.touch()
            time.sleep(0.005)

    thread = threading.Thread(target=flood)
    thread.start()
    try:
        waited = pressure.yield_to_intake()
    finally:
        stop.set()
        thread.join()
    assert 0.28 <= waited < 0.6


def _touch_from_another_process(share: PressureShare) -> None:
    pressure = IntakePressure.joined(share)
    with pressure.writing():
        time.sleep(30)


def test_pressure_crosses_processes_and_a_dead_writer_is_forgotten() -> None:
    """The SMTP process sees the processing process's IMAP commit waiting, and the
    other way round; a processing process killed mid-commit leaves nothing stuck."""
    ctx = multiprocessing.get_context("spawn")
    pressure = IntakePressure(quiet_after=0.05, max_pause=1.0)
    child = ctx.Process(target=_touch_from_another_process, args=(pressure.share(),))
    child.start()
    try:
        wait_until(pressure.busy, 20, "the other process's commit to show")
        time.sleep(0.1)
        assert pressure.busy()  # still inside writing(), however long it takes
        child.kill()
        child.join(10)
        assert pressure.busy()  # the dead process's count is left behind...
        joined = IntakePressure.joined(pressure.share())
        assert not joined.busy() and not pressure.busy()  # ...until its successor joins
        joined.touch()
        assert pressure.busy()
    finally:
        if child.is_alive():
            child.kill()
