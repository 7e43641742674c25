"""`helpdesk run`: SMTP intake, IMAP pollers, the runner, the outbox sender, the scheduler.

Threads: the asyncio loop serves SMTP; the runner, the outbox sender and each IMAP poller
run in their own threads (their libraries are synchronous); APScheduler 3 runs the periodic
work. SIGTERM or SIGINT stops intake first, lets open SMTP sessions finish, then lets the
runner and the sender finish their current transaction.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import outbox
from gateway.config import Config
from gateway.db import Database, schema_state, upgrade
from gateway.errors import HelpdeskError
from gateway.intake.group_commit import GroupCommitWriter
from gateway.intake.pressure import IntakePressure
from gateway.intake.smtp import IntakeHandler, SmtpIntake
from gateway.model import Inbound, Outbox, utcnow
from gateway.runner import Runner
from gateway.services import Services
from gateway.spam.jobs import schedule_digest
from gateway.transport import Transport, make_transport
from gateway.users import sync_agents

log = logging.getLogger(__name__)


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
            self._pressure.yield_to_intake(stop)
            try:
                # Small passes: between them, arriving mail goes first.
                while outbox.send_due(self._db, self._transport, self._cfg.outgoing, limit=10):
                    if stop.is_set():
                        break
                    self._pressure.yield_to_intake(stop)
            except Exception:
                log.exception("outbox sender: pass failed; retrying later")
                stop.wait(5)


def prepare_database(cfg: Config) -> Database:
    """Open the database; create the schema of an empty one, refuse an outdated one."""
    db = Database.from_config(cfg)
    state = schema_state(db)
    if state == "empty":
        log.info("empty database: creating the schema")
        upgrade(cfg.database_url)
    elif state == "outdated":
        raise HelpdeskError("the database schema is outdated: run `helpdesk db upgrade` first")
    try:
        _startup_writes(db, cfg)
    except IntegrityError:
        # Another daemon on the same database registered the same agents just now.
        _startup_writes(db, cfg)
    return db


def _startup_writes(db: Database, cfg: Config) -> None:
    with db.write() as session:
        sync_agents(session, cfg)
        if db.sqlite:
            _release_outbox_leases(session)


def _release_outbox_leases(session: Session) -> None:
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


def _thread(
    name: str, target: Callable[[threading.Event], None], stop: threading.Event
) -> threading.Thread:
    thread = threading.Thread(target=target, args=(stop,), name=name, daemon=True)
    thread.start()
    return thread


def _start_imap(
    cfg: Config,
    db: Database,
    wake: Callable[[], None],
    stop: threading.Event,
    pressure: IntakePressure,
) -> list[threading.Thread]:
    if not cfg.imap:
        return []
    from gateway.intake.imap import MailboxPoller
    from gateway.intake.imap_connect import make_ssl_context

    threads = []
    for box in cfg.imap:
        context = make_ssl_context(
            str(cfg.path(box.ca_file)) if box.ca_file else "", box.tls_verify
        )
        poller = MailboxPoller(box, db, wake, ssl_context=context, pressure=pressure)
        threads.append(_thread(f"imap-{box.name or box.username}", poller.run, stop))
    return threads


def _log_backlog(db: Database) -> None:
    with db.read() as session:
        spool = session.scalar(select(func.count()).where(Inbound.state == "new")) or 0
        queued = session.scalar(select(func.count()).where(Outbox.state == "queued")) or 0
    if spool or queued:
        log.info("resuming: %d message(s) to process, %d mail(s) to send", spool, queued)


async def _serve(
    cfg: Config, db: Database, services: Services, runner: Runner, pressure: IntakePressure
) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    writer = GroupCommitWriter(db, on_stored=runner.wake.set, pressure=pressure)
    writer.start()
    smtp: SmtpIntake | None = None
    if cfg.smtp.enabled:
        smtp = SmtpIntake(cfg, IntakeHandler(services.addresses, writer))
        await smtp.start()
    log.info("helpdesk running")
    await stopping.wait()
    log.info("stopping: no new mail is accepted; finishing what is under way")
    if smtp is not None:
        await smtp.stop()
    await writer.stop()


def run_daemon(cfg: Config) -> int:
    # The SMTP loop shares the interpreter with the CPU-bound runner: at the default 5 ms
    # switch interval every SMTP reply waits for the runner's time slice to end.
    sys.setswitchinterval(0.0005)
    db = prepare_database(cfg)
    services = Services.from_config(cfg)
    transport = make_transport(cfg)
    stop = threading.Event()
    pressure = IntakePressure()
    sender = OutboxSender(db, transport, cfg, pressure)
    runner = Runner(db, services, on_committed=sender.wake.set, pressure=pressure)
    _log_backlog(db)
    threads = [_thread("runner", runner.run, stop), _thread("outbox", sender.run, stop)]
    threads += _start_imap(cfg, db, runner.wake.set, stop, pressure)
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        sender.wake.set, "interval", seconds=30, id="outbox-retries", coalesce=True, max_instances=1
    )
    scheduler.add_job(
        runner.wake.set, "interval", seconds=60, id="spool-sweep", coalesce=True, max_instances=1
    )
    schedule_digest(scheduler, cfg, db, services, on_queued=sender.wake.set)
    scheduler.start()
    try:
        asyncio.run(_serve(cfg, db, services, runner, pressure))
    finally:
        scheduler.shutdown(wait=True)
        stop.set()
        runner.wake.set()
        sender.wake.set()
        for thread in threads:
            thread.join(timeout=60)
        db.dispose()
        log.info("stopped")
    return 0
