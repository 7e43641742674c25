"""The processing process of the daemon: runner, outbox sender, IMAP pollers, scheduler.

`helpdesk run` serves SMTP in one process and does everything else in this one, so that
turning mail into tickets (CPU-bound Python) never holds the interpreter lock that the
SMTP sessions need to answer: acceptance keeps its own core. The two share nothing but the
database, a wake-up event (mail was stored) and the intake pressure (see pressure.py).

This process must not outlive the daemon: on Linux the kernel kills it when its parent
dies (PR_SET_PDEATHSIG); elsewhere a watchdog thread notices the parent is gone. A
SIGKILL of the daemon is then a SIGKILL of both, from which start-up recovers as from any
crash. SIGTERM and SIGINT stop it gracefully: the current transactions finish.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection

from apscheduler.schedulers.background import BackgroundScheduler

from gateway.daemon.logs import configure_from
from gateway.daemon.reload import reload_config
from gateway.daemon.runner import Runner
from gateway.daemon.sender import OutboxSender, release_outbox_leases
from gateway.escalation import job as escalation_job
from gateway.outgoing.transports import Transport, make_transport
from gateway.reports import schedule as report_schedule
from gateway.services import Services
from gateway.settings.config import Config
from gateway.similar.warm import warm
from gateway.spam import store as spam_store
from gateway.spam.jobs import schedule_confirm, schedule_digest
from gateway.spam.rebuild import run_rebuild
from gateway.spool.pressure import IntakePressure, PressureShare
from gateway.store.checkpoint import Checkpointer
from gateway.store.db import Database
from gateway.store.files import sqlite_file

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


# How much lower this process runs than the SMTP intake. When the cores are busy (a
# burst over several connections: the senders, the intake and processing on two cores)
# the scheduler then gives the intake most of them: 4 connections accepted at 28% of a
# bare aiosmtpd sink with processing at the intake's priority, 45% at 10 (bench/ingest.py,
# same run), the burst processed 12% later. An idle machine runs both at full speed.
PROCESSING_NICENESS = 10


def main(cfg: Config, share: PressureShare, stored: Connection, parent: int) -> None:
    """Entry point of the processing process (spawned by the daemon)."""

    _die_with_parent(parent)
    configure_from(cfg)
    # Senders wait for the intake's 250; the tickets can follow a moment later.
    os.nice(PROCESSING_NICENESS)
    # The IMAP pollers' network threads should get the interpreter back from the runner
    # promptly, as the SMTP loop does in the other process.
    sys.setswitchinterval(0.0005)
    stop = threading.Event()
    hangup = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: hangup.set())
    try:
        serve(cfg, IntakePressure.joined(share), stored, stop, hangup)
    except Exception:
        log.exception("processing process failed")
        sys.exit(1)


def serve(
    cfg: Config,
    pressure: IntakePressure,
    stored: Connection,
    stop: threading.Event,
    hangup: threading.Event | None = None,
) -> None:
    """Run the processing threads until `stop` is set, then let them finish; each time
    `hangup` is set, reload what SIGHUP reloads (gateway.daemon.supervisor)."""
    hangup = hangup or threading.Event()
    db = Database.from_config(cfg)
    if db.sqlite:
        with db.write() as session:
            release_outbox_leases(session)
    services = Services.from_config(cfg)
    if cfg.spam.enabled:
        # Before the runner's first transaction, not inside it (gateway.spam.store).
        spam_store.prepare()
    transport: Transport = make_transport(cfg)
    sender = OutboxSender(db, transport, cfg, pressure)
    # SQLite: the WAL copied into the database beside the writers, not in their commits.
    checkpointer = _checkpointer(db)
    on_committed = sender.wake.set
    if checkpointer is not None:
        checkpointer.start()
        # Called between the runner's transactions (gateway.store.checkpoint: the log restarts).
        on_committed = _both(sender.wake.set, checkpointer.committed)
    runner = Runner(db, services, on_committed=on_committed, pressure=pressure)
    threads = [_thread("runner", runner.run, stop), _thread("outbox", sender.run, stop)]
    if checkpointer is not None:
        threads.append(_thread("checkpointer", checkpointer.run, stop))
    threads.append(_thread("wake", lambda s: _forward(stored, runner.wake, s), stop))
    threads += _start_imap(cfg, db, runner.wake.set, stop, pressure)
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        sender.wake.set, "interval", seconds=30, id="outbox-retries", coalesce=True, max_instances=1
    )
    scheduler.add_job(
        runner.wake.set, "interval", seconds=60, id="spool-sweep", coalesce=True, max_instances=1
    )
    schedule_digest(scheduler, cfg, db, services, on_queued=sender.wake.set)
    schedule_confirm(scheduler, cfg, db, services)
    # The one-off start-up jobs run in threads of their own, not as the scheduler's
    # run-once jobs: APScheduler 3 removes a run-once job from its store after running
    # it, and a stop that empties the store meanwhile made that removal raise.
    if cfg.spam.enabled:
        # Off the runner's thread: a model an upgrade left unreadable is rebuilt from the
        # learning log while mail keeps flowing (unscored meanwhile).
        threads.append(_once("spam-rebuild", lambda: run_rebuild(db, services)))
    # Beside the runner: a new ticket's first lookup waits for it at worst.
    threads.append(_once("similar-warm", lambda: _warm_similar(db, cfg)))
    escalation_job.schedule(scheduler, db, services, on_queued=sender.wake.set)
    report_schedule.schedule(scheduler, db, services, on_queued=sender.wake.set)
    scheduler.start()
    log.info("processing started")
    try:
        # Signals set the events from the main thread, so a short wait notices both.
        while not stop.wait(0.2):
            if hangup.is_set():
                hangup.clear()
                reload_config(cfg)
                services.renderer.reload()
    finally:
        scheduler.shutdown(wait=True)
        stop.set()
        runner.wake.set()
        sender.wake.set()
        if checkpointer is not None:
            checkpointer.wake.set()
        for thread in threads:
            thread.join(timeout=60)
        db.dispose()
        log.info("processing stopped")


def _checkpointer(db: Database) -> Checkpointer | None:
    """The WAL checkpointer of a SQLite database file (PostgreSQL has none to run)."""
    return None if sqlite_file(db.url) is None else Checkpointer(db)


def _both(first: Callable[[], object], second: Callable[[], object]) -> Callable[[], None]:
    def both() -> None:
        first()
        second()

    return both


def _warm_similar(db: Database, cfg: Config) -> None:
    if cfg.suggestions.similar <= 0 and not cfg.suggestions.categories:
        return
    with db.read() as session:
        loaded = warm(session, cfg.database_url, cfg.suggestions.categories)
    log.info("similar tickets: %d examples loaded", loaded)


def _forward(stored: Connection, wake: threading.Event, stop: threading.Event) -> None:
    """Mail stored by the SMTP process (a byte on the pipe) wakes the runner here."""
    fd = stored.fileno()
    while not stop.is_set():
        try:
            if not stored.poll(1.0):
                continue
            # Drained before the runner looks, so a store after this point wakes it again.
            if not os.read(fd, 65536):
                return  # the daemon is gone; the parent-death signal follows
        except OSError:
            return
        wake.set()


def _thread(
    name: str, target: Callable[[threading.Event], None], stop: threading.Event
) -> threading.Thread:
    thread = threading.Thread(target=target, args=(stop,), name=name, daemon=True)
    thread.start()
    return thread


def _once(name: str, job: Callable[[], None]) -> threading.Thread:
    """Run `job` once in a thread; a failure is logged, as the scheduler logged it."""

    def run() -> None:
        try:
            job()
        except Exception:
            log.exception("%s failed", name)

    thread = threading.Thread(target=run, name=name, daemon=True)
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
    from gateway.intake.imap.connect import make_ssl_context
    from gateway.intake.imap.poller import MailboxPoller

    threads = []
    for box in cfg.imap:
        context = make_ssl_context(
            str(cfg.path(box.ca_file)) if box.ca_file else "", box.tls_verify
        )
        poller = MailboxPoller(box, db, wake, ssl_context=context, pressure=pressure)
        threads.append(_thread(f"imap-{box.name or box.username}", poller.run, stop))
    return threads


def _die_with_parent(parent: int) -> None:
    """Never outlive the daemon process that started this one."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    # The parent may have died before prctl took effect.
    if os.getppid() != parent:
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        threading.Event().wait(1.0)
    os._exit(1)
