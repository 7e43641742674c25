"""Acceptance against the bare sink in interleaved slices, for bench/ingest.py.

A bare aiosmtpd sink and the daemon are both up for the whole measurement, each with its
SMTP sessions connected once. The messages go in slices: bare, daemon, bare, daemon, ...,
bare; each daemon slice's rate is compared with the mean of the bare slices just before
and after it (a second or two apart), and the figure is the median of those ratios. The
machine is shared and its speed moves by a factor of several within a minute (other
work): whole rounds a daemon start-up apart compared a fast moment with a slow one.

While a bare slice runs, the daemon's processing process is stopped (SIGSTOP, then
SIGCONT before the next daemon slice): the ceiling is the sink alone on the machine, as
before, not the sink beside a busy runner. The daemon's SMTP process is idle then, so
nothing waits for a lock the stopped process may hold. `processing="stopped"` keeps it
stopped throughout: acceptance with nothing else writing.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from tests.harness import PROCESSING_STARTED, STARTUP_SECONDS, free_port, wait_until, write_config


@dataclass
class Slices:
    """The outcome of one interleaved measurement."""

    bare: list[float] = field(default_factory=list)  # messages/s of each bare slice
    ours: list[float] = field(default_factory=list)  # messages/s of each daemon slice
    ratios: list[float] = field(default_factory=list)  # daemon / adjacent bare
    bare_latency: list[float] = field(default_factory=list)  # seconds per message
    our_latency: list[float] = field(default_factory=list)
    processed_after: float = 0.0  # seconds from the last daemon slice until all processed
    counts: str = ""
    writer: str = ""  # the daemon's spool writer at its stop: messages, commits, lock waits
    wal_bytes: int = 0  # the -wal file's size right after the last slice

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def _client(port: int, raws: list[bytes], commands: Connection) -> None:
    """One SMTP session: send the messages it is told to, answer with each one's time."""
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
        client.ehlo()
        commands.send("ready")
        while (task := commands.recv()) is not None:
            times = []
            for i in task:
                started = time.perf_counter()
                client.sendmail("sender@example.org", ["support@example.com"], raws[i])
                times.append(time.perf_counter() - started)
            commands.send(times)


class Sessions:
    """`connections` SMTP sessions to one port, each in a process of its own."""

    def __init__(self, port: int, raws: list[bytes], connections: int) -> None:
        ctx = mp.get_context("fork")
        self._pipes: list[Connection] = []
        self._procs = []
        for _ in range(connections):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=_client, args=(port, raws, theirs))
            proc.start()
            self._pipes.append(ours)
            self._procs.append(proc)
        for pipe in self._pipes:
            assert pipe.recv() == "ready"

    def send(self, indices: list[int]) -> tuple[float, list[float]]:
        """(messages/s, each message's time) for `indices`, shared among the sessions."""
        n = len(self._pipes)
        started = time.perf_counter()
        for j, pipe in enumerate(self._pipes):
            pipe.send(indices[j::n])
        times: list[float] = []
        for pipe in self._pipes:
            times += pipe.recv()
        elapsed = time.perf_counter() - started
        assert len(times) == len(indices)
        return len(indices) / elapsed, times

    def close(self) -> None:
        for pipe in self._pipes:
            pipe.send(None)
        for proc in self._procs:
            proc.join()


def wait_port(port: int) -> None:
    import socket

    def up() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    wait_until(up, 30, f"port {port}")


@contextmanager
def bare_sink(server_code: str) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", server_code, str(port)])
    try:
        wait_port(port)
        yield port
    finally:
        proc.terminate()
        proc.wait()


def _processing_pid(daemon: int) -> int:
    """The daemon's processing process (multiprocessing's resource tracker is one too)."""
    found = []
    for task in Path(f"/proc/{daemon}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    (pid,) = found
    return pid


@dataclass
class Daemon:
    """One daemon under measurement: which checkout's Python runs it, in which folder."""

    python: str
    tmp: Path
    process: subprocess.Popen[bytes]
    port: int
    worker: int = 0  # its processing process
    out: Slices = field(default_factory=Slices)

    @property
    def log(self) -> Path:
        return self.tmp / "daemon.log"


def _start(python: str, tmp: Path, config_extra: str, runner_keys: str = "") -> Daemon:
    port = free_port()
    config = write_config(tmp, config_extra, port=port)
    if runner_keys:
        # Into the [runner] section the test config has already (TOML has one of each).
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("[runner]\n", "[runner]\n" + runner_keys, 1), "utf-8")
    with open(tmp / "daemon.log", "ab") as err:
        process = subprocess.Popen(
            [python, "-m", "gateway", "--config", str(config), "run"], cwd=tmp, stderr=err
        )
    return Daemon(python, tmp, process, port)


def measure(
    raws: list[bytes],
    connections: int,
    slices: int,
    server_code: str,
    config_extra: str,
    processing: str = "running",
    until_processed: bool = True,
    pythons: tuple[str, ...] = (sys.executable,),
    runner_keys: tuple[str, ...] = (),
) -> list[Slices]:
    """Interleave `slices` slices of `raws` to each daemon with bare ones: bare, the first
    daemon, bare, the second, ..., bare; one daemon per Python in `pythons` (a checkout's
    .venv: this one's first, then a baseline's), each on a fresh database, its config
    `config_extra` and its own of `runner_keys` (when given: lines of its [runner])."""
    size = -(-len(raws) // slices)
    parts = [list(range(i, min(i + size, len(raws)))) for i in range(0, len(raws), size)]
    with contextlib.ExitStack() as stack:
        bare_port = stack.enter_context(bare_sink(server_code))
        daemons: list[Daemon] = []
        try:
            for i, python in enumerate(pythons):
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
                keys = runner_keys[i] if runner_keys else ""
                daemons.append(_start(python, tmp, config_extra, keys))
            for daemon in daemons:
                wait_port(daemon.port)
                # The slices meet a daemon whose processing process has started (it
                # imports and loads its models for seconds first).
                wait_until(
                    lambda d=daemon: PROCESSING_STARTED in d.log.read_bytes(),  # type: ignore[misc]
                    STARTUP_SECONDS,
                    "the processing process to start",
                )
                daemon.worker = _processing_pid(daemon.process.pid)
            _slices(raws, connections, parts, bare_port, daemons, processing)
            for daemon in daemons:
                wal = daemon.tmp / "var/helpdesk.db-wal"
                daemon.out.wal_bytes = wal.stat().st_size if wal.exists() else 0
            # Every daemon's processing runs from here on: each one's time from this moment.
            if until_processed:
                _wait_processed(daemons, time.perf_counter())
        finally:
            for daemon in daemons:
                daemon.process.terminate()
                daemon.process.wait()
                daemon.out.writer = _writer_line(daemon.log)
    return [daemon.out for daemon in daemons]


def _slices(
    raws: list[bytes],
    connections: int,
    parts: list[list[int]],
    bare_port: int,
    daemons: list[Daemon],
    processing: str,
) -> None:
    def pause(daemon: Daemon, stopped: bool) -> None:
        os.kill(daemon.worker, signal.SIGSTOP if stopped else signal.SIGCONT)

    # While a bare slice or another daemon's runs, a daemon's processing is stopped.
    for daemon in daemons:
        pause(daemon, True)
    bare = Sessions(bare_port, raws, connections)
    ours = [Sessions(d.port, raws, connections) for d in daemons]
    bare_rates: list[float] = []
    bare_latency: list[float] = []
    try:
        for part in parts:
            for daemon, sessions in zip(daemons, ours, strict=True):
                rate, times = bare.send(part)
                bare_rates.append(rate)
                bare_latency += times
                if processing == "running":
                    pause(daemon, False)
                rate, times = sessions.send(part)
                if processing == "running":
                    pause(daemon, True)
                daemon.out.ours.append(rate)
                daemon.out.our_latency += times
        rate, times = bare.send(parts[0])
        bare_rates.append(rate)
        bare_latency += times
    finally:
        for daemon in daemons:
            pause(daemon, False)
        bare.close()
        for sessions in ours:
            sessions.close()
    # Each daemon slice against the bare slices just before and after it.
    n = len(daemons)
    for j, daemon in enumerate(daemons):
        daemon.out.bare, daemon.out.bare_latency = bare_rates, bare_latency
        daemon.out.ratios = [
            r / ((bare_rates[k * n + j] + bare_rates[k * n + j + 1]) / 2)
            for k, r in enumerate(daemon.out.ours)
        ]


def _writer_line(log: Path) -> str:
    """The spool writer's account, logged when the daemon stops (gateway.intake.group_commit)."""
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if "spool writer:" in line:
            return line.partition("spool writer:")[2].strip()
    return "no account in the daemon's log"


def _wait_processed(daemons: list[Daemon], started: float) -> None:
    """Wait until every daemon has processed its messages, each one's time from `started`
    (the daemons are looked at in turn, so that none waits for another's)."""
    from sqlalchemy import func, select

    from gateway.store.db import Database
    from gateway.store.model import Inbound, Outbox, Ticket

    dbs = {id(d): Database(f"sqlite:///{d.tmp}/var/helpdesk.db") for d in daemons}

    def done(daemon: Daemon) -> bool:
        with dbs[id(daemon)].read() as s:
            return bool(s.scalar(select(func.count()).where(Inbound.state == "new")) == 0)

    # Processed: each message is a ticket, and its confirmation is queued in the same
    # transaction (or deliberately not sent: automatic mail, no address).
    pending = list(daemons)

    def all_done() -> bool:
        for daemon in list(pending):
            if done(daemon):
                daemon.out.processed_after = time.perf_counter() - started
                pending.remove(daemon)
        return not pending

    wait_until(all_done, 600, "every message to be processed")
    for daemon in daemons:
        db = dbs[id(daemon)]
        with db.read() as s:
            tickets = s.scalar(select(func.count()).select_from(Ticket))
            confirmations = s.scalar(select(func.count()).where(Outbox.kind == "confirmation"))
            states = dict(
                s.execute(select(Inbound.state, func.count()).group_by(Inbound.state)).all()
            )
        db.dispose()
        daemon.out.counts = f"{tickets} tickets, {confirmations} confirmations, spool {states}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
