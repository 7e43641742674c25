"""The daemon's two processes: SMTP intake here, processing in a child that never
outlives the daemon, is restarted when it dies, and stops with it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from gateway.daemon.processing import PROCESSING_NICENESS
from gateway.store.model import Ticket
from tests.harness import STARTUP_SECONDS, Daemon, mail, processing_pid, wait_until


def _processing_pid(daemon: Daemon) -> int:
    assert daemon.proc is not None
    parent = daemon.proc.pid
    pid: int = wait_until(lambda: processing_pid(parent), 30, "the processing process")
    return pid


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"  # exited, waiting for its parent to reap it


def test_killing_the_daemon_kills_processing_too(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path).start()
    try:
        child = _processing_pid(daemon)
        daemon.kill()
        wait_until(lambda: _gone(child), 10, "the processing process to die with the daemon")
        # The restarted daemon processes what was accepted before.
        daemon.start()
        assert daemon.send(mail("После перезапуска", "текст"))[0] == 250
        daemon.settle()
        assert daemon.count(Ticket) == 1
    finally:
        daemon.close()


def test_dead_processing_is_restarted_and_nothing_accepted_meanwhile_is_lost(
    tmp_path: Path,
) -> None:
    daemon = Daemon(tmp_path).start()
    try:
        child = _processing_pid(daemon)
        started = daemon.processing_starts()
        os.kill(child, signal.SIGKILL)
        wait_until(lambda: _gone(child), 10, "the processing process to die")
        # Intake goes on without it: the mail is committed and acknowledged.
        assert daemon.send(mail("Пока обработка лежит", "текст"))[0] == 250
        replacement = wait_until(
            lambda: (pid := _processing_pid(daemon)) != child and pid, 30, "a new process"
        )
        assert replacement != child
        # Its start-up (imports, the spam model) is not part of the processing's budget.
        wait_until(
            lambda: daemon.processing_starts() > started, STARTUP_SECONDS, "the new one to start"
        )
        daemon.settle(30)
        assert [t.subject for t in daemon.tickets()] == ["Пока обработка лежит"]
        assert "processing process exited" in daemon.log.read_text()
    finally:
        daemon.close()


def test_sigterm_stops_both_processes_cleanly(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path).start()
    child = _processing_pid(daemon)
    assert daemon.send(mail("Перед остановкой", "текст"))[0] == 250
    daemon.settle()
    assert daemon.stop() == 0
    assert _gone(child)
    assert "processing stopped" in daemon.log.read_text()
    daemon.close()


def test_processing_runs_below_the_intakes_priority(tmp_path: Path) -> None:
    """When the cores are busy the intake, which senders wait for, goes first."""
    daemon = Daemon(tmp_path).start()
    try:
        assert daemon.proc is not None
        child = _processing_pid(daemon)
        intake = os.getpriority(os.PRIO_PROCESS, daemon.proc.pid)
        assert os.getpriority(os.PRIO_PROCESS, child) == min(19, intake + PROCESSING_NICENESS)
        assert daemon.send(mail("Приоритет", "текст"))[0] == 250
        daemon.settle()
        assert daemon.count(Ticket) == 1
    finally:
        daemon.close()
