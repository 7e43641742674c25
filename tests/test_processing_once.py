"""Processing's one-off start-up jobs: a failure is logged, not lost in a thread."""

from __future__ import annotations

import logging

import pytest

from gateway.daemon import processing


def test_a_failing_start_up_job_is_logged_and_its_thread_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> None:
        raise RuntimeError("model file unreadable")

    ran: list[str] = []
    with caplog.at_level(logging.ERROR, logger="gateway.daemon.processing"):
        failing = processing._once("spam-rebuild", broken)
        working = processing._once("similar-warm", lambda: ran.append("warm"))
        failing.join(5)
        working.join(5)
    assert not failing.is_alive() and not working.is_alive()
    assert ran == ["warm"]
    logged = [r for r in caplog.records if r.getMessage() == "spam-rebuild failed"]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "model file unreadable" in caplog.text
