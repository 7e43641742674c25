"""The processing process's outbox sender, and its crash recovery of claimed mail.

Sending stays out of the SMTP intake's way: each mail is two commits (its claim, then its
outcome), each holding SQLite's lock for a sync of the disk, so while mail is arriving it
waits, as the runner does (gateway.daemon.runner), until the burst is over or mail has
been due for MAX_LAG_SECONDS.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from gateway.daemon.runner import MAX_LAG_SECONDS
from gateway.outgoing import outbox
from gateway.outgoing.transports import Transport
from gateway.settings.config import Config
from gateway.spool.pressure import IntakePressure
from gateway.store.db import Database
from gateway.store.model import Outbox, utcnow

log = logging.getLogger("gateway.daemon.processing")

# Mails sent after each pause allowance under a sustained flood.
FLOOD_PASS = 10


class OutboxSender:
    """Sends due mail whenever woken; retries come due through the scheduler's ticks."""

    def __init__(
        self, db: Database, transport: Transport, cfg: Config, pressure: IntakePressure
    ) -> None:
        self._db = db
        self._pressure = pressure
        self._transport = transport
        self._cfg = cfg
        self.wake = threading.Event()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.wake.wait(15)
            self.wake.clear()
            try:
                while size := self._pass(stop):
                    if not outbox.send_due(
                        self._db, self._transport, self._cfg.outgoing, limit=size
                    ):
                        break
            except Exception:
                log.exception("outbox sender: pass failed; retrying later")
                stop.wait(5)

    def _pass(self, stop: threading.Event) -> int:
        """How many mails to send next (0: stopping), once arriving mail lets it.

        Each mail is two commits holding SQLite's lock for a sync of the disk. While mail
        arrives the sender waits, as the runner does, until the burst is over: it used
        to go ahead after every pause allowance (1 s) with ten mails, twenty commits in
        a row before a burst's 250s. Out of a burst it sends one mail at a time, so that
        a burst beginning waits for one at most. Under a sustained flood, once mail has
        been due for MAX_LAG_SECONDS, it sends ten after each pause allowance, as before.
        """
        pressure = self._pressure
        while pressure.busy() and not stop.is_set():
            if self._behind():
                pressure.yield_to_intake(stop)
                pressure.let_waiting_commit(stop)
                return 0 if stop.is_set() else FLOOD_PASS
            pressure.yield_to_intake(stop)
        return 0 if stop.is_set() else 1

    def _behind(self) -> bool:
        with self._db.read() as session:
            oldest = session.scalar(
                select(func.min(Outbox.next_attempt_at)).where(Outbox.state == "queued")
            )
        return oldest is not None and (utcnow() - oldest).total_seconds() > MAX_LAG_SECONDS


def release_outbox_leases(session: Session) -> None:
    """Crash recovery: mail claimed by a sender that died is due again now.

    Only on SQLite, where this is the only daemon; with a shared PostgreSQL database the
    leases of other live daemons must stand and run out by themselves. A row never
    attempted has a future due time only because of a lease.
    """
    now = utcnow()
    released: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Outbox)
        .where(Outbox.state == "queued", Outbox.attempts == 0, Outbox.next_attempt_at > now)
        .values(next_attempt_at=now)
    )
    if released.rowcount:
        log.info("recovered %d outgoing mail(s) claimed before a crash", released.rowcount)
