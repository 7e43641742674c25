"""Several daemons on one PostgreSQL database, one SIGKILLed mid-burst (test and bench).

The mails are split across the daemons' SMTP ports, one sender thread per daemon. Once
the victim has acknowledged a third of its share, it and its processing process get
SIGKILL; what its sender had not got a 250 for goes to the next daemon, as an MTA
retries elsewhere. The result says what the shared database and Maildir hold, so the
caller can check: every acknowledged mail exactly one ticket, each outgoing mail written
once.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import smtplib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from gateway.store.db import Database
from gateway.store.model import Inbound, Outbox, Ticket
from tests.harness import Daemon, mail, processing_pid, wait_until


def pg_daemon(directory: Path, url: str, shared: Path, extra: str = "") -> Daemon:
    """A daemon on the shared database, Maildir and signing key (as a real cluster)."""
    directory.mkdir()
    daemon = Daemon(directory, extra)
    config = daemon.config.read_text()
    config = config.replace('url = "sqlite:///var/helpdesk.db"', f'url = "{url}"')
    config = config.replace('maildir = "var/outbox"', f'maildir = "{shared / "outbox"}"')
    config = config.replace('secret_file = "var/secret.key"', f'secret_file = "{shared / "key"}"')
    daemon.config.write_text(config)
    return daemon


@dataclass
class Outcome:
    acknowledged: set[str] = field(default_factory=set)
    tickets: Counter[str] = field(default_factory=Counter)
    astray: list[tuple[int, str, str]] = field(default_factory=list)
    outbox_ids: list[str] = field(default_factory=list)
    unsent: int = 0
    delivered: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    killed_after: int = 0
    # Spool rows by `Inbound.attempts`: 1 claimed once; 3 processed alone once after the
    # crash interrupted its batch; more would be interruptions that never happened.
    attempts: Counter[int] = field(default_factory=Counter)


def _send(daemon: Daemon, raw: bytes) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port, timeout=30) as client:
            client.ehlo()
            if client.mail("sender@example.org")[0] != 250:
                return False
            if client.rcpt("support@example.com")[0] != 250:
                return False
            return client.data(raw)[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def _kill(daemon: Daemon) -> None:
    assert daemon.proc is not None
    child = processing_pid(daemon.proc.pid)
    daemon.proc.send_signal(signal.SIGKILL)
    if child is not None:
        os.kill(child, signal.SIGKILL)
    daemon.proc.wait(30)
    daemon.proc = None


def run(
    tmp: Path, url: str, daemons: int, total: int, settle: float = 120.0, kill: bool = True
) -> Outcome:
    """The burst; `kill` False leaves every daemon running (a throughput measurement)."""
    shared = tmp / "shared"
    shared.mkdir()
    fleet = [pg_daemon(tmp / f"d{k}", url, shared) for k in range(daemons)]
    victim = fleet[-1]
    outcome = Outcome()
    lock = threading.Lock()
    domains = ("corp.example.org", "mail.test", "firma.ru", "example.com", "почта.рф")
    raws = [
        mail(
            f"scale {i:05d}",
            f"текст {i}: the printer on floor {i % 9} is down",
            sender=f"u{i % 997}@{domains[i % len(domains)] if i % 5 != 4 else 'shop.com'}",
        ).as_bytes(policy=email.policy.SMTP)
        for i in range(total)
    ]
    db = Database(url)
    try:
        for daemon in fleet:
            daemon.start()
        share = total // daemons // 3

        def sender(k: int) -> None:
            daemon = fleet[k]
            for sent, i in enumerate(range(k, total, daemons), start=1):
                target = daemon if daemon.proc is not None else fleet[0]
                ok = _send(target, raws[i])
                if not ok and target is victim:
                    # The victim died under this mail: the MTA retries it elsewhere.
                    ok = _send(fleet[0], raws[i])
                assert ok, f"mail {i} refused"
                with lock:
                    outcome.acknowledged.add(f"scale {i:05d}")
                if kill and daemon is victim and sent == share:
                    _kill(victim)
                    outcome.killed_after = sent

        start = time.perf_counter()
        threads = [threading.Thread(target=sender, args=(k,)) for k in range(daemons)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(settle)

        def settled() -> bool:
            with db.read() as s:
                new = s.scalar(select(Inbound.id).where(Inbound.state == "new").limit(1))
                queued = s.scalar(select(Outbox.id).where(Outbox.state == "queued").limit(1))
                return new is None and queued is None

        wait_until(settled, settle, "the surviving daemons to finish")
        outcome.seconds = time.perf_counter() - start
        with db.read() as s:
            outcome.tickets = Counter(s.scalars(select(Ticket.subject)))
            outcome.astray = [
                (r.id, r.state, r.error or "")
                for r in s.execute(
                    select(Inbound.id, Inbound.state, Inbound.error).where(Inbound.state != "done")
                )
            ]
            outcome.attempts = Counter(s.scalars(select(Inbound.attempts)))
            outcome.outbox_ids = list(s.scalars(select(Outbox.message_id)))
            outcome.unsent = len(s.scalars(select(Outbox.id).where(Outbox.state != "sent")).all())
        for path in (shared / "outbox" / "new").iterdir():
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            outcome.delivered[str(msg["Message-ID"]).strip().strip("<>")] += 1
        return outcome
    finally:
        for daemon in fleet:
            daemon.close()
        db.dispose()
