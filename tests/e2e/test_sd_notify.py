"""sd_notify on a real daemon: READY once SMTP listens, WATCHDOG pings, STOPPING at TERM;
and the unit file it is meant for."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from gateway.daemon.notify import notify, watchdog_interval
from tests.harness import REPO, Daemon, wait_until

UNIT = REPO / "config" / "helpdesk.service"


def receive_all(sock: socket.socket) -> list[str]:
    got = []
    while True:
        try:
            got.append(sock.recv(4096).decode())
        except BlockingIOError:
            return got


def test_ready_watchdog_stopping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.setblocking(False)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        monkeypatch.setenv("WATCHDOG_USEC", "200000")
        daemon = Daemon(tmp_path)
        try:
            daemon.start()
            seen: list[str] = []

            def pinged_twice() -> bool:
                seen.extend(receive_all(sock))
                return sum(s == "WATCHDOG=1" for s in seen) >= 2

            wait_until(pinged_twice, 30, "two watchdog pings")
            assert any(s.startswith("READY=1\nSTATUS=accepting mail on 127.0.0.1:") for s in seen)
            assert daemon.stop() == 0
            seen.extend(receive_all(sock))
            assert "STOPPING=1" in seen
        finally:
            daemon.close()


def test_abstract_socket_and_no_socket() -> None:
    name = f"@helpdesk-test-{id(object())}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name[1:])
        assert notify("READY=1", {"NOTIFY_SOCKET": name})
        assert sock.recv(100) == b"READY=1"
    assert not notify("READY=1", {})
    assert not notify("READY=1", {"NOTIFY_SOCKET": "/nonexistent/notify.sock"})
    assert watchdog_interval({"WATCHDOG_USEC": "60000000"}) == 30.0
    assert watchdog_interval({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({}) is None


def test_unit_is_hardened() -> None:
    text = UNIT.read_text()
    for directive in (
        "Type=notify", "StateDirectory=helpdesk", "ConfigurationDirectory=helpdesk",
        "UMask=0077", "ProtectSystem=strict", "NoNewPrivileges=yes", "ExecReload=",
        "WatchdogSec=",
    ):  # fmt: skip
        assert directive in text, directive
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # pragma: no cover - the directives above are then all we check
        return
    out = subprocess.run(
        [analyze, "security", "--offline=true", str(UNIT)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    line = [x for x in out.stdout.splitlines() if "Overall exposure level" in x]
    assert line, out.stdout + out.stderr
    exposure = float(line[0].split(":")[1].split()[0])
    assert exposure <= 4.0, line[0]
