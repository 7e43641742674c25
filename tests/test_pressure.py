"""Intake pressure: processing waits while mail arrives, but never starves."""

from __future__ import annotations

import threading
import time

from gateway.intake.pressure import IntakePressure


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
