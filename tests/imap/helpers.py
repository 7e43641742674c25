"""Helpers for IMAP intake tests: boxes, other clients, messages, running pollers."""

from __future__ import annotations

import ssl
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from sqlalchemy import select

from gateway.intake.imap.poller import MailboxPoller
from gateway.settings.config import ImapSection
from gateway.store.db import Database
from gateway.store.model import Inbound

# `tests` is not a package; the Dovecot helper is shared with bench/, so import it by path.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.dovecot import Dovecot, free_port

__all__ = ["Dovecot", "free_port"]


def make_box(server: Dovecot, user: str, **overrides: Any) -> ImapSection:
    values: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "username": user,
        "password": server.password,
        "name": user,
        "address": f"{user}@example.com",
        "category": "printers",
        "poll_seconds": 300,
        "batch_size": 50,
    }
    values.update(overrides)
    return ImapSection(**values)


def client_for(server: Dovecot, user: str) -> IMAPClient:
    """Another client of the mailbox, as a delivering MTA or a human would be."""
    client = IMAPClient(server.host, port=server.port, ssl=False, timeout=30)
    client.login(user, server.password)
    return client


def message(n: int, body: str = "") -> bytes:
    return (
        f"Return-Path: <sender{n}@example.org>\r\n"
        f"From: Sender {n} <sender{n}@example.org>\r\n"
        f"To: support@example.com\r\n"
        f"Subject: printer {n} is jammed\r\n"
        f"Message-ID: <m{n}.{time.time_ns()}@example.org>\r\n"
        f"\r\n"
        f"Paper stuck in tray {n}.{body}\r\n"
    ).encode()


def spooled(db: Database, source: str | None = None) -> list[Inbound]:
    with db.read() as session:
        query = select(Inbound).order_by(Inbound.id)
        if source is not None:
            query = query.where(Inbound.source == source)
        return list(session.scalars(query))


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> float:
    """Seconds it took for `predicate` to hold; fails the test on timeout."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.02)
    return time.monotonic() - start


def insecure_context() -> ssl.SSLContext:
    """Trust the fixture's self-signed certificate (its name is not 127.0.0.1)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Running:
    """A poller running in its own thread, as the daemon runs it; stopped on exit."""

    def __init__(self, poller: MailboxPoller) -> None:
        self.poller = poller
        self.stop = threading.Event()
        self.wakeups = 0
        poller.on_stored = self._stored
        self.thread = threading.Thread(target=poller.run, args=(self.stop,), daemon=True)

    def _stored(self) -> None:
        self.wakeups += 1

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "the poller did not stop"

    def wait_state(self, state: str, timeout: float = 10.0) -> None:
        wait_until(lambda: self.poller.status().state == state, timeout)


def run_poller(box: ImapSection, db: Database, **kwargs: Any) -> Running:
    kwargs.setdefault("backoff_initial", 0.2)
    kwargs.setdefault("backoff_max", 1.0)
    return Running(MailboxPoller(box, db, lambda: None, **kwargs))
