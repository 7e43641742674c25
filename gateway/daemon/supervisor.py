"""`helpdesk run`: SMTP intake in this process, everything else in a processing process.

This process serves SMTP on asyncio and commits each message before its 250 (group
commit, gateway/intake). The processing process (gateway/daemon/processing.py) runs the runner,
the outbox sender, the IMAP pollers and the scheduler; this one starts it, wakes it when
mail is stored, restarts it if it dies (accepted mail waits safely in the spool meanwhile),
and stops it last. SIGTERM or SIGINT stops intake first, lets open SMTP sessions finish,
then lets processing finish its current transactions.

SIGHUP (`systemctl reload`) reads the config file again and applies what can change
live: all of `[logging]` (the log file is reopened, for logrotate) and the templates
(their compiled copies are dropped, so edited files are read again at once); it is passed
on to the processing process, which does the same. A config that no longer loads is
logged and the running one kept. Everything else needs a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
from multiprocessing.process import BaseProcess
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gateway.addresses import AddressBook
from gateway.daemon.notify import notify, watchdog
from gateway.daemon.reload import reload_config
from gateway.errors import HelpdeskError
from gateway.intake.group_commit import GroupCommitWriter
from gateway.intake.smtp import IntakeHandler, SmtpIntake
from gateway.settings.config import Config
from gateway.spool.pressure import IntakePressure
from gateway.store.db import Database, schema_state, upgrade
from gateway.store.model import Inbound, Outbox
from gateway.store.users import sync_agents

log = logging.getLogger(__name__)

# How long processing may take to finish its transactions when the daemon stops.
STOP_GRACE_SECONDS = 60.0
# A processing process that ran this long before dying is restarted without delay growth.
HEALTHY_SECONDS = 60.0


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
        _sync_agents(db, cfg)
    except IntegrityError:
        # Another daemon on the same database registered the same agents just now.
        _sync_agents(db, cfg)
    return db


def _sync_agents(db: Database, cfg: Config) -> None:
    with db.write() as session:
        sync_agents(session, cfg)


def _processing_main(*args: Any) -> None:
    """The processing process's entry; imported there, so this process stays lean (the
    runner's parser, classifier and templates are never loaded here)."""
    # A SIGHUP passed on while this process starts must not kill it (the default).
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    from gateway.daemon import processing

    processing.main(*args)


class ProcessingSupervisor:
    """Starts the processing process, restarts it when it dies, stops it at the end."""

    def __init__(self, cfg: Config, pressure: IntakePressure) -> None:
        self._cfg = cfg
        self._share = pressure.share()
        self._ctx = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._wake_fd = -1
        self._stopping = False

    def start(self) -> None:
        # Started from the main thread, which lives as long as the daemon: Linux's
        # parent-death signal fires when the thread that started the child ends.
        # Wake-ups go through a pipe of its own for each process, not a multiprocessing
        # Event: setting an Event hangs for good once a process died waiting on it.
        reader, writer = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(
            target=_processing_main,
            args=(self._cfg, self._share, reader, os.getpid()),
            name="helpdesk-processing",
        )
        process.start()
        reader.close()
        if self._wake_fd >= 0:
            os.close(self._wake_fd)
        self._wake_fd = os.dup(writer.fileno())
        writer.close()
        os.set_blocking(self._wake_fd, False)
        self._process = process
        # Mail may have been stored while no process was there to hear of it.
        self.wake()

    def wake(self) -> None:
        """Mail was stored: tell processing; never blocks (the event loop calls it)."""
        # A full pipe already holds a wake-up; a broken one means processing is dead,
        # and its successor looks at the spool when it starts.
        with contextlib.suppress(BlockingIOError, BrokenPipeError):
            os.write(self._wake_fd, b"\0")

    async def watch(self) -> None:
        """Restart processing whenever it dies, with a growing delay if it keeps dying
        (a process that ran for a while before dying starts the delay over)."""
        loop = asyncio.get_running_loop()
        delay = 1.0
        started = loop.time()
        while not self._stopping:
            await asyncio.sleep(0.5)
            process = self._process
            if process is None or process.is_alive() or self._stopping:
                continue
            if loop.time() - started > HEALTHY_SECONDS:
                delay = 1.0
            log.error(
                "processing process exited with code %s; restarting in %.0f s",
                process.exitcode,
                delay,
            )
            await asyncio.sleep(delay)
            if not self._stopping:
                self.start()
                started = loop.time()
                delay = min(delay * 2, 60.0)

    def hangup(self) -> None:
        """Pass SIGHUP on to the processing process (it reloads its own parts)."""
        process = self._process
        if process is not None and process.is_alive() and process.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGHUP)

    def stop(self) -> None:
        self._stopping = True
        process = self._process
        if process is None:
            return
        process.terminate()  # SIGTERM: finish the current transactions
        process.join(STOP_GRACE_SECONDS)
        if process.is_alive():
            log.warning("processing did not stop in %.0f s; killing it", STOP_GRACE_SECONDS)
            process.kill()
            process.join()
        if self._wake_fd >= 0:
            os.close(self._wake_fd)
            self._wake_fd = -1


def _log_backlog(db: Database) -> None:
    with db.read() as session:
        spool = session.scalar(select(func.count()).where(Inbound.state == "new")) or 0
        queued = session.scalar(select(func.count()).where(Outbox.state == "queued")) or 0
    if spool or queued:
        log.info("resuming: %d message(s) to process, %d mail(s) to send", spool, queued)


async def _serve(
    cfg: Config, db: Database, supervisor: ProcessingSupervisor, pressure: IntakePressure
) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)

    def hangup() -> None:
        notify("RELOADING=1")
        reload_config(cfg)
        supervisor.hangup()
        notify("READY=1")

    loop.add_signal_handler(signal.SIGHUP, hangup)
    writer = GroupCommitWriter(db, on_stored=supervisor.wake, pressure=pressure)
    writer.start()
    smtp: SmtpIntake | None = None
    if cfg.smtp.enabled:
        from gateway.monitor.metrics import smtp_event

        smtp = SmtpIntake(cfg, IntakeHandler(AddressBook(cfg), writer, on_event=smtp_event))
        await smtp.start()
    watch = loop.create_task(supervisor.watch(), name="processing-watch")
    pings = loop.create_task(watchdog(), name="watchdog")
    log.info("helpdesk running")
    notify(f"READY=1\nSTATUS=accepting mail on {cfg.smtp.listen if smtp else 'no SMTP'}")
    await stopping.wait()
    notify("STOPPING=1")
    log.info("stopping: no new mail is accepted; finishing what is under way")
    watch.cancel()  # no restarts from here on
    pings.cancel()
    if smtp is not None:
        await smtp.stop()
    await writer.stop()


def run_daemon(cfg: Config) -> int:
    # Each SMTP reply waits for the event loop to get the interpreter back from the
    # group-commit writer thread; at the default 5 ms switch interval that wait dominates.
    sys.setswitchinterval(0.0005)
    db = prepare_database(cfg)
    _log_backlog(db)
    metrics_dir = _metrics_dir(cfg)
    try:
        endpoint = _metrics_endpoint(cfg, db, metrics_dir)
    except HelpdeskError:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        raise
    pressure = IntakePressure()
    supervisor = ProcessingSupervisor(cfg, pressure)
    supervisor.start()
    try:
        asyncio.run(_serve(cfg, db, supervisor, pressure))
    finally:
        supervisor.stop()
        if endpoint is not None:
            endpoint.shutdown()
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        db.dispose()
        log.info("stopped")
    return 0


def _metrics_dir(cfg: Config) -> str | None:
    """With an endpoint: a private folder for prometheus-client's multiprocess files,
    named in the environment before this process or its child loads the client."""
    if not cfg.metrics.listen:
        return None
    path = tempfile.mkdtemp(prefix="helpdesk-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


def _metrics_endpoint(cfg: Config, db: Database, metrics_dir: str | None) -> Any:
    if not cfg.metrics.listen:
        return None
    from gateway.monitor.metrics import serve

    try:
        server = serve(db, cfg.metrics.listen, metrics_dir)
    except OSError as exc:
        raise HelpdeskError(
            f"[metrics] listen: cannot listen on {cfg.metrics.listen}: {exc.strerror or exc}"
        ) from None
    log.info("metrics on http://%s/metrics", cfg.metrics.listen)
    return server
