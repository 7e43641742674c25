"""Test harness: a real daemon in a subprocess, real SMTP to it, its Maildir and database."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from gateway.cli.main import main
from gateway.store.db import Database
from gateway.store.model import Inbound, Outbox, Ticket

REPO = Path(__file__).resolve().parent.parent
# The processing process's log line once it takes spooled mail (gateway.daemon.processing).
PROCESSING_STARTED = b"processing started"
STARTUP_SECONDS = 120.0
AGENTS = (("alice@example.com", "Alice", "admin"), ("bob@example.com", "Bob", "agent"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_config(
    directory: Path, extra: str = "", port: int | None = None, outgoing: str = ""
) -> Path:
    """A config for tests in `directory`: SQLite, a free SMTP port, a Maildir outbox;
    `outgoing` adds keys to its [outgoing] section."""
    port = port or free_port()
    agents = "".join(
        f'\n[[agents]]\nemail = "{e}"\nname = "{n}"\nrole = "{r}"\n' for e, n, r in AGENTS
    )
    text = f"""
[helpdesk]
name = "IT Support"
address = "support@example.com"
tag_prefix = "HD"
locale = "ru"
secret_file = "var/secret.key"
intake_addresses = ["printers@example.com"]

[database]
url = "sqlite:///var/helpdesk.db"

[smtp]
listen = "127.0.0.1:{port}"
max_message_size = 1000000

[outgoing]
transport = "maildir"
maildir = "var/outbox"
{outgoing}

[runner]
poll_seconds = 0.2
{agents}
{extra}
"""
    path = directory / "helpdesk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _delivery_order(path: Path) -> tuple[int, int, str]:
    """Oldest first: by the time of delivery, and mails delivered in the same tick by the
    outbox row id their Maildir name carries (`helpdesk.<id>`). On many kernels file times
    tick in jiffies, so mails delivered within a few ms tie; their names compared as text
    would put `helpdesk.10` before `helpdesk.9`."""
    stem, _, key = path.name.partition(":")[0].rpartition(".")
    row_id = int(key) if stem == "helpdesk" and key.isdigit() else -1
    return (path.stat().st_mtime_ns, row_id, path.name)


def wait_until(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    # The timeout bounds a hang, it is not a speed check: on a loaded machine a CLI call in a
    # predicate can take seconds, so the bounds are generous (speed lives in bench/).
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.05)


def processing_pid(daemon_pid: int) -> int | None:
    """The pid of a daemon's processing process (not multiprocessing's resource tracker)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if ppid == daemon_pid and b"spawn_main" in cmdline:
            return int(entry.name)
    return None


class Daemon:
    """`helpdesk run` in a subprocess on a test config."""

    def __init__(self, directory: Path, extra: str = "", outgoing: str = "") -> None:
        self.dir = directory
        self.port = free_port()
        self.config = write_config(directory, extra, self.port, outgoing)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = directory / "daemon.log"
        self._db: Database | None = None

    # -- process control -------------------------------------------------------------
    def start(self) -> Daemon:
        """Start the daemon and wait until it takes mail *and* processes it.

        Listening is not enough: the processing process is spawned beside the SMTP
        intake and takes its own start-up (imports, the spam model, the scheduler),
        which on a loaded machine is 15 s and more. A test that waited only for the port
        spent that start-up inside its first `settle()` budget, timed out there, and left
        its mail to be processed during the next test, whose counts were then off.
        """
        ready_before = self.processing_starts()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gateway", "--config", str(self.config), "run"],
                cwd=self.dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        wait_until(self._listening, 30, "the daemon to listen")
        # A start-up bound, not a measured one: generous, as the machine may be loaded.
        wait_until(
            lambda: self.processing_starts() > ready_before,
            STARTUP_SECONDS,
            "the processing process to start",
        )
        return self

    def processing_starts(self) -> int:
        """How often the log says a processing process started (it is appended to)."""
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"daemon exited: {self.log.read_text(errors='replace')}")
        path = self._log_path()
        if not path.exists():
            return 0
        return path.read_bytes().count(PROCESSING_STARTED)

    def _log_path(self) -> Path:
        """Where the daemon logs: its `[logging] file` (relative to its folder), else the
        standard error this harness sends to `self.log`."""
        configured = tomllib.loads(self.config.read_text()).get("logging", {}).get("file", "")
        return self.dir / configured if configured else self.log

    def _listening(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"daemon exited: {self.log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(60)
        self.proc = None
        return code

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(30)
        self.proc = None

    # -- mail in -----------------------------------------------------------------------
    def send(
        self,
        msg: EmailMessage | bytes,
        rcpt: Sequence[str] = ("support@example.com",),
        mail_from: str = "sender@example.org",
    ) -> tuple[int, bytes]:
        """Send over SMTP; the server's reply code and text to DATA."""
        raw = msg if isinstance(msg, bytes) else msg.as_bytes(policy=email.policy.SMTP)
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            client.ehlo()
            code, text = client.mail(mail_from)
            assert code == 250, text
            for r in rcpt:
                code, text = client.rcpt(r)
                if code != 250:
                    return code, text
            return client.data(raw)

    # -- state -------------------------------------------------------------------------
    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(f"sqlite:///{self.dir / 'var' / 'helpdesk.db'}")
        return self._db

    def count(self, model: Any, *where: Any) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def processed(self) -> bool:
        """Nothing left to process and nothing left to send."""
        return (
            self.count(Inbound, Inbound.state == "new") == 0
            and self.count(Outbox, Outbox.state == "queued") == 0
        )

    def settle(self, timeout: float = 20.0) -> None:
        wait_until(self.processed, timeout, "the spool and the outbox to empty")

    def tickets(self) -> list[Ticket]:
        with self.db.read() as s:
            return list(s.scalars(select(Ticket).order_by(Ticket.id)))

    def outgoing(self) -> list[Message]:
        """Every mail the daemon wrote to its Maildir, oldest first."""
        new = self.dir / "var" / "outbox" / "new"
        if not new.is_dir():
            return []
        files = sorted(new.iterdir(), key=_delivery_order)
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files
        ]

    def outgoing_to(self, address: str) -> list[Message]:
        return [m for m in self.outgoing() if address in str(m["To"])]

    def cli(self, *args: str, input: bytes | None = None) -> Result:
        return CliRunner().invoke(
            main, ["--config", str(self.config), *args], input=input, catch_exceptions=False
        )

    def show(self, ticket_id: int) -> dict[str, Any]:
        """`tickets show ID --history` as JSON (hidden messages included)."""
        result = self.cli("tickets", "show", str(ticket_id), "--history", "--format", "json")
        assert result.exit_code == 0, result.output
        data: dict[str, Any] = json.loads(result.output)
        return data

    def close(self) -> None:
        if self.proc is not None:
            self.kill()
        if self._db is not None:
            self._db.dispose()


def text_of(msg: Message) -> str:
    """The text/plain body of a parsed outgoing mail."""
    assert isinstance(msg, EmailMessage)
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()
    return content


def mail(
    subject: str,
    body: str,
    sender: str = "Иван Петров <ivan@corp.example.org>",
    to: str = "support@example.com",
    **headers: str,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = email.utils.make_msgid(domain="corp.example.org")
    msg["Date"] = email.utils.formatdate(localtime=True)
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg
