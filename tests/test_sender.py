"""The outbox sender beside the SMTP intake: while mail arrives it sends nothing (each mail
is two commits holding SQLite's lock), until the burst is over or mail has been due for
the runner's lag; a sustained flood cannot hold outgoing mail back beyond that."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.daemon.runner import MAX_LAG_SECONDS
from gateway.daemon.sender import OutboxSender
from gateway.outgoing.transports import make_transport
from gateway.settings import config as config_mod
from gateway.settings.config import Config
from gateway.spool.pressure import IntakePressure
from gateway.store.db import Database, upgrade
from gateway.store.model import Outbox, utcnow
from tests.harness import wait_until, write_config


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Config, Database]]:
    cfg = config_mod.load(write_config(tmp_path))
    upgrade(cfg.database_url)
    db = Database.from_config(cfg)
    yield cfg, db
    db.dispose()


def queue(db: Database, due_ago: float) -> int:
    with db.write() as s:
        row = Outbox(
            kind="confirmation",
            mail_from="support@example.com",
            rcpt_to=["user@example.org"],
            message_id="<c@example.com>",
            raw=b"Subject: ok\r\n\r\nok\r\n",
            next_attempt_at=utcnow() - dt.timedelta(seconds=due_ago),
        )
        s.add(row)
        s.flush()
        return row.id


def state(db: Database, row_id: int) -> str:
    with db.read() as s:
        return str(s.scalar(select(Outbox.state).where(Outbox.id == row_id)))


class Flood:
    """Mail arriving without a pause, and the sender running beside it."""

    def __init__(self, cfg: Config, db: Database) -> None:
        # A pause allowance far shorter than the test waits: the old sender went ahead
        # after each one.
        self.pressure = IntakePressure(quiet_after=0.05, max_pause=0.1)
        self.stop = threading.Event()
        self.arriving = threading.Event()
        self.arriving.set()
        sender = OutboxSender(db, make_transport(cfg), cfg, self.pressure)
        self.sender = sender
        self._threads = [
            threading.Thread(target=self._flood),
            threading.Thread(target=sender.run, args=(self.stop,)),
        ]
        self.pressure.touch()
        for t in self._threads:
            t.start()
        sender.wake.set()

    def _flood(self) -> None:
        while not self.stop.is_set():
            if self.arriving.is_set():
                self.pressure.touch()
            time.sleep(0.005)

    def close(self) -> None:
        self.stop.set()
        self.sender.wake.set()
        for t in self._threads:
            t.join(10)


def test_mail_waits_while_a_fresh_burst_arrives_and_goes_after_it(
    setup: tuple[Config, Database],
) -> None:
    cfg, db = setup
    row_id = queue(db, due_ago=0)
    flood = Flood(cfg, db)
    try:
        deadline = time.monotonic() + 1.0  # ten pause allowances
        while time.monotonic() < deadline:
            assert state(db, row_id) == "queued"
            time.sleep(0.05)
        flood.arriving.clear()  # the burst is over
        wait_until(lambda: state(db, row_id) == "sent", 5, "the mail to go out")
    finally:
        flood.close()


def test_a_sustained_flood_cannot_hold_mail_back_beyond_the_lag(
    setup: tuple[Config, Database],
) -> None:
    cfg, db = setup
    row_id = queue(db, due_ago=MAX_LAG_SECONDS + 5)
    flood = Flood(cfg, db)
    try:
        wait_until(lambda: state(db, row_id) == "sent", 5, "the mail to go out")
        assert flood.arriving.is_set()  # while mail was still arriving
    finally:
        flood.close()
