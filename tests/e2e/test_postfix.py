"""A real Postfix on loopback in front of the daemon, both ways a deployment wires it.

The pipe transport runs `helpdesk deliver` as an unprivileged user (the daemon runs as that
user too, as under systemd), so file modes and the interpreter's path are what they are on
a host. Postfix's own log says what became of each recipient: a temporary failure of the
pipe (exit 75) is deferred and delivered after the fix, a recipient that is not ours
(exit 67) bounces, and relay to the SMTP port lands like direct SMTP.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.store.db import Database
from gateway.store.model import Inbound, Ticket
from tests.harness import free_port, mail, wait_until, write_config
from tests.postfix import Postfix, owned_by, pipe_user, traversable


@dataclass
class Desk:
    postfix: Postfix
    directory: Path
    pipe_config: Path
    daemon: subprocess.Popen[bytes]
    db: Database

    def send(self, rcpt: list[str], subject: str, body: str, sender: str) -> None:
        msg = mail(subject, body, sender=sender, to=", ".join(rcpt))
        with smtplib.SMTP("127.0.0.1", self.postfix.port, timeout=30) as client:
            client.send_message(msg, from_addr=sender.rpartition("<")[2].rstrip(">"), to_addrs=rcpt)

    def inbound(self) -> list[Inbound]:
        with self.db.read() as s:
            return list(s.scalars(select(Inbound).order_by(Inbound.id)))

    def tickets(self) -> list[Ticket]:
        with self.db.read() as s:
            return list(s.scalars(select(Ticket).order_by(Ticket.id)))


@pytest.fixture
def desk() -> Iterator[Desk]:
    user = pipe_user()
    python = Path(sys.executable)
    base = Path(tempfile.mkdtemp(prefix="helpdesk-postfix-"))
    base.chmod(0o755)
    directory = base / "desk"
    directory.mkdir()
    owned_by(directory, user)
    port = free_port()
    config = write_config(directory, port=port)
    owned_by(config, user)
    pipe_config = directory / "pipe.toml"  # missing at first: the pipe fails temporarily
    routes = {
        "support@example.com": "helpdesk:",
        "nobody@example.com": "helpdesk:",
        "printers@example.com": f"smtp:[127.0.0.1]:{port}",
    }
    with traversable(python):
        postfix = Postfix(base / "postfix", python, pipe_config, routes)
        daemon = subprocess.Popen(
            [str(python), "-m", "gateway", "--config", str(config), "run"],
            cwd=directory,
            stdout=subprocess.DEVNULL,
            stderr=open(base / "daemon.log", "ab"),  # noqa: SIM115  (closed with the process)
            env={**os.environ, "HOME": str(directory), "PYTHONUNBUFFERED": "1"},
            user=user.pw_uid,
            group=user.pw_gid,
            extra_groups=[],
        )
        db: Database | None = None
        try:
            wait_until(lambda: _listening(port, daemon, base), 60, "the daemon to listen")
            # Opened only now: the daemon, as the pipe user, has made the folder and file.
            db = Database(f"sqlite:///{directory / 'var' / 'helpdesk.db'}")
            postfix.start()
            yield Desk(postfix, directory, pipe_config, daemon, db)
        finally:
            postfix.stop()
            daemon.terminate()
            daemon.wait(60)
            if db is not None:
                db.dispose()
            shutil.rmtree(base, ignore_errors=True)


def logged(pf: Postfix, predicate: Callable[[], object], what: str) -> None:
    """Wait for `predicate`; when it never holds, fail with Postfix's log to show why."""
    try:
        wait_until(predicate, 60, what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{pf.log()[-3000:]}\n{pf.queue()}") from None


def _listening(port: int, daemon: subprocess.Popen[bytes], base: Path) -> bool:
    import socket

    if daemon.poll() is not None:
        raise AssertionError((base / "daemon.log").read_text(errors="replace"))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_postfix_pipe_defers_then_delivers_bounces_strangers_and_relays(desk: Desk) -> None:
    pf = desk.postfix
    # 1. The pipe cannot read its config yet: deliver exits 75, Postfix keeps the mail.
    desk.send(
        ["support@example.com"],
        "Не печатает принтер",
        "Принтер на 3 этаже не печатает.",
        "Иван Петров <ivan@corp.example.ru>",
    )
    logged(pf, lambda: "deferred" in pf.statuses("support@example.com"), "a deferral")
    assert "config" in pf.log()  # deliver's one-line reason reaches Postfix's log
    assert "support@example.com" in pf.queue()
    assert desk.inbound() == []

    # 2. The admin fixes it and flushes the queue: the same mail is stored and processed.
    shutil.copy(desk.directory / "helpdesk.toml", desk.pipe_config)
    owned_by(desk.pipe_config, pipe_user())
    pf.flush()
    logged(pf, lambda: "sent" in pf.statuses("support@example.com"), "the pipe delivery")
    wait_until(lambda: desk.tickets(), 60, "a ticket from the pipe")
    piped = desk.inbound()[0]
    assert piped.rcpt_to == ["support@example.com"]
    assert piped.mail_from == "ivan@corp.example.ru"
    assert b"by mx.corp.example.net (Postfix)" in piped.raw
    assert desk.tickets()[0].subject == "Не печатает принтер"
    wait_until(
        lambda: any((desk.directory / "var" / "outbox" / "new").glob("*")),
        60,
        "the confirmation to the requester",
    )

    # 3. A recipient that is not ours: deliver exits 67 and Postfix bounces, nothing stored.
    desk.send(["nobody@example.com"], "Hello", "Anyone there?", "Jane Roe <jane@mail.test>")
    logged(pf, lambda: "bounced" in pf.statuses("nobody@example.com"), "the bounce")
    assert len(desk.inbound()) == 1

    # 4. Relay to the daemon's SMTP port: a second intake address, a second ticket.
    desk.send(
        ["printers@example.com"],
        "Toner low",
        "Toner on the 2nd floor printer.",
        "Ann Lee <ann@xn--80ak6aa92e.com>",
    )
    logged(pf, lambda: "sent" in pf.statuses("printers@example.com"), "the relay delivery")
    wait_until(lambda: len(desk.tickets()) == 2, 60, "a ticket from the relay")
    relayed = desk.inbound()[-1]
    assert relayed.source == "smtp"
    assert relayed.rcpt_to == ["printers@example.com"]
    assert b"by mx.corp.example.net (Postfix)" in relayed.raw
    assert pf.queue().strip().endswith("Mail queue is empty")
