"""Signals on a real daemon process: SIGHUP reopens the log and reloads, and the daemon
lives on; SIGTERM lets a session that is sending its message finish it, then stops."""

from __future__ import annotations

import contextlib
import email
import email.policy
import signal
import smtplib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.store.model import Inbound
from tests.harness import Daemon, mail, wait_until


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    d = Daemon(tmp_path, extra='[logging]\nfile = "log/helpdesk.log"\n')
    d.start()
    yield d
    d.close()


def read(sock: socket.socket) -> bytes:
    """One SMTP reply (possibly several lines)."""
    data = b""
    while not data.endswith(b"\r\n") or data.split(b"\r\n")[-2][3:4] == b"-":
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    return data


def test_sighup_reopens_the_log_and_the_daemon_lives_on(daemon: Daemon) -> None:
    assert daemon.proc is not None
    log = daemon.dir / "log" / "helpdesk.log"
    wait_until(lambda: log.is_file() and "helpdesk running" in log.read_text(), 30, "the log")
    rotated = log.with_name("helpdesk.log.1")
    log.rename(rotated)  # what logrotate does, before it signals
    # The level changes live too: DEBUG shows the SMTP intake's per-message lines.
    daemon.config.write_text(
        daemon.config.read_text().replace("[logging]", '[logging]\nlevel = "DEBUG"')
    )
    daemon.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: log.is_file() and "SIGHUP" in log.read_text(), 30, "a new log file")
    code, _ = daemon.send(mail("После HUP", "Письмо после перечитывания настроек."))
    assert code == 250
    wait_until(lambda: "spooled" in log.read_text(), 30, "a DEBUG line in the new log")
    daemon.settle()
    assert daemon.proc.poll() is None
    assert len(daemon.tickets()) == 1
    assert "SIGHUP" not in rotated.read_text()
    # A config that no longer loads is reported and the running one kept.
    daemon.config.write_text(daemon.config.read_text() + "\n[smtp]\nbogus = 1\n")
    daemon.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "config not reloaded" in log.read_text(), 30, "the refusal")
    assert daemon.send(mail("Ещё", "Работает ли?"))[0] == 250
    assert daemon.stop() == 0


def test_sigterm_drains_a_session_in_data(daemon: Daemon) -> None:
    assert daemon.proc is not None
    log = daemon.dir / "log" / "helpdesk.log"
    msg = mail("Письмо во время остановки", "Тело письма, отправленное по частям.")
    raw = msg.as_bytes()
    busy = socket.create_connection(("127.0.0.1", daemon.port), timeout=30)
    idle = smtplib.SMTP("127.0.0.1", daemon.port, timeout=30)
    idle.ehlo("idle.example.com")
    with busy:
        assert read(busy).startswith(b"220")
        for line in (b"EHLO client.example.com", b"MAIL FROM:<ivan@corp.example.org>",
                     b"RCPT TO:<support@example.com>", b"DATA"):  # fmt: skip
            busy.sendall(line + b"\r\n")
            reply = read(busy)
            assert reply[:1] in (b"2", b"3"), reply
        busy.sendall(raw[: len(raw) // 2])
        daemon.proc.send_signal(signal.SIGTERM)
        wait_until(lambda: "SMTP transaction(s) under way" in log.read_text(), 30, "the drain")
        # New connections are no longer taken, the idle session is told so.
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", daemon.port), timeout=2).close()
        with pytest.raises(smtplib.SMTPServerDisconnected):
            idle.noop()
            idle.noop()
        busy.sendall(raw[len(raw) // 2 :] + b"\r\n.\r\n")
        reply = read(busy)
        assert reply.startswith(b"250"), reply
        # Then the session is closed with 421 (that line may come with the 250).
        rest = b""
        with contextlib.suppress(OSError):
            busy.sendall(b"MAIL FROM:<ivan@corp.example.org>\r\n")
            while chunk := busy.recv(4096):
                rest += chunk
        assert b"\r\n421 " in b"\r\n" + reply.split(b"\r\n", 1)[1] + rest, (reply, rest)
    assert daemon.proc.wait(60) == 0
    daemon.proc = None
    with daemon.db.read() as session:
        (row,) = session.scalars(select(Inbound))
        stored = email.message_from_bytes(row.raw, policy=email.policy.default)
        assert stored["Message-ID"] == msg["Message-ID"]
        assert stored["Subject"] == "Письмо во время остановки"
