"""Ingest benchmark: SMTP acceptance and full processing against a bare aiosmtpd ceiling.

    .venv/bin/python bench/ingest.py [--corpus ../shared/corpora/spamassassin] [-n 2000]
                                     [--rounds 3] [--runner-rounds 3] [--baseline DIR]

Sends N ham messages over SMTP (one connection, then 4 in parallel) to
  1. a bare aiosmtpd server that accepts and discards (the ceiling), and
  2. the helpdesk daemon on SQLite (durable acceptance: 250 only after the commit),
and prints accepted messages/s for each, the ratio, the time until every message is a
ticket with its confirmation queued, and the runner's processing rate on one core
(messages spooled first, then drained by one runner thread in a process of its own, by
the wall clock and by CPU time). Rates are the medians of interleaved rounds; the clock
starts once every client is connected. `--rounds 0` measures the runner alone;
`--baseline DIR` runs another checkout's runner (its own .venv) alternating with this
one's, for a before and after under the same load.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.runner_alone import runners  # noqa: E402
from tests.harness import (  # noqa: E402
    PROCESSING_STARTED,
    STARTUP_SECONDS,
    free_port,
    wait_until,
    write_config,
)

HAM = ("easy-ham-1", "easy-ham-2", "hard-ham-1")

BARE_SERVER = """
import asyncio, sys
from aiosmtpd.smtp import SMTP
class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
class Big(SMTP):
    line_length_limit = 1_000_000
async def main():
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(lambda: Big(Discard(), data_size_limit=None),
                                   "127.0.0.1", int(sys.argv[1]))
    await srv.serve_forever()
asyncio.run(main())
"""


# The ham corpus is mostly mailing-list traffic: its list headers would make every message
# "automatic" (no confirmation) and its threading headers would merge them into fewer
# tickets. The bench measures the path of a person's new request, so these go.
_DROP = re.compile(
    rb"^(List-[\w-]+|Precedence|In-Reply-To|References|Message-ID|Auto-Submitted|X-Loop|"
    rb"Return-Path|Delivered-To|Errors-To|Sender):.*(\r?\n[ \t].*)*\r?\n",
    re.IGNORECASE | re.MULTILINE,
)


def normalise(raw: bytes, i: int) -> bytes:
    """A person's new request: no list or threading headers, a unique Message-ID."""
    if raw.startswith(b"From "):
        # The corpus is mbox: its "From " separator line never comes over SMTP (and put
        # under the new Message-ID it would read as a garbled header line).
        raw = raw.partition(b"\n")[2]
    head, sep, body = raw.partition(b"\n\n")
    head = _DROP.sub(b"", head + b"\n").rstrip(b"\r\n")
    head = re.sub(rb"^(Subject:)", rb"\1 [bench %d]" % i, head, count=1, flags=re.M | re.I)
    return b"Message-ID: <bench-%d@bench.example.org>\n" % i + head + sep + body


# The corpus has a few prolific senders; the daily limit of automatic replies per address
# would rightly stop their confirmations, which is not what this bench measures.
BENCH_CONFIG = "[loop]\nmax_auto_replies_per_day = 1000000\n"


def load_corpus(root: Path, n: int) -> list[bytes]:
    files = sorted(p for d in HAM for p in (root / d).iterdir() if p.is_file())
    return [normalise(p.read_bytes(), i) for i, p in enumerate(files[:n])]


def _client(port: int, raws: list[bytes], ready: Any, go: Any, sent: Any) -> None:
    """One SMTP client process: connect, wait for the start signal, send its share."""
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo()
        ready.release()
        go.wait()
        for raw in raws:
            client.sendmail("sender@example.org", ["support@example.com"], raw)
            with sent.get_lock():
                sent.value += 1


def send_all(port: int, raws: list[bytes], connections: int) -> float:
    """Send every message over `connections` parallel SMTP sessions; messages/s.

    Each session is its own process, connected before the clock starts, so that
    neither process start-up nor the connection is timed, on either server.
    """
    ctx = mp.get_context("fork")
    ready, go, sent = ctx.Semaphore(0), ctx.Event(), ctx.Value("i", 0)
    clients = [
        ctx.Process(target=_client, args=(port, raws[i::connections], ready, go, sent))
        for i in range(connections)
    ]
    for c in clients:
        c.start()
    for _ in clients:
        ready.acquire()
    start = time.perf_counter()
    go.set()
    for c in clients:
        c.join()
    elapsed = time.perf_counter() - start
    assert sent.value == len(raws), f"{sent.value} of {len(raws)} accepted"
    return len(raws) / elapsed


def wait_port(port: int) -> None:
    import socket

    def up() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    wait_until(up, 30, f"port {port}")


def bare_ceiling(raws: list[bytes], connections: int) -> float:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(port)])
    try:
        wait_port(port)
        return send_all(port, raws, connections)
    finally:
        proc.terminate()
        proc.wait()


def daemon_run(
    raws: list[bytes], connections: int, until_processed: bool = True
) -> tuple[float, float, str]:
    """(accepted messages/s, seconds from the first send until all are processed, counts).

    With `until_processed` False, only acceptance is measured (0.0, "")."""
    from sqlalchemy import func, select

    from gateway.store.db import Database
    from gateway.store.model import Inbound, Outbox, Ticket

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        config = write_config(Path(tmp), BENCH_CONFIG, port=port)
        log = Path(tmp) / "daemon.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gateway", "--config", str(config), "run"],
                cwd=tmp,
                stderr=out,
            )
        try:
            wait_port(port)
            # The burst meets a daemon that is running, not one whose processing process
            # is still importing and loading its models beside the intake (3 s and more).
            wait_until(
                lambda: PROCESSING_STARTED in log.read_bytes(),
                STARTUP_SECONDS,
                "the processing process to start",
            )
            start = time.perf_counter()
            rate = send_all(port, raws, connections)
            if not until_processed:
                return rate, 0.0, ""
            db = Database(f"sqlite:///{tmp}/var/helpdesk.db")

            def done() -> bool:
                with db.read() as s:
                    pending = s.scalar(select(func.count()).where(Inbound.state == "new"))
                return pending == 0

            # Processed: each message is a ticket, and its confirmation is queued in the
            # same transaction (or deliberately not sent: automatic mail, no address).
            wait_until(done, 600, "every message to be processed")
            total = time.perf_counter() - start
            with db.read() as s:
                tickets = s.scalar(select(func.count()).select_from(Ticket))
                confirmations = s.scalar(select(func.count()).where(Outbox.kind == "confirmation"))
                states = dict(
                    s.execute(select(Inbound.state, func.count()).group_by(Inbound.state)).all()
                )
            db.dispose()
            counts = f"{tickets} tickets, {confirmations} confirmations, spool {states}"
            return rate, total, counts
        finally:
            proc.terminate()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared/corpora/spamassassin")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument(
        "--runner-rounds", type=int, default=3, help="rounds of the runner alone (0: none)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (with its .venv) whose runner alternates with this one's",
    )
    args = parser.parse_args()
    raws = load_corpus(args.corpus, args.n)
    print(f"{len(raws)} ham messages, {sum(map(len, raws)) / len(raws) / 1024:.1f} KiB average")
    for connections in (1, 4) if args.rounds > 0 else ():
        # Bare and ours alternate, so that a slower moment of the machine hits both.
        bares, ours_rates, ratios = [], [], []
        total, counts = 0.0, ""
        for round_no in range(args.rounds):
            bare = bare_ceiling(raws, connections)
            ours, t, c = daemon_run(raws, connections, until_processed=round_no == 0)
            if round_no == 0:
                total, counts = t, c
            bares.append(bare)
            ours_rates.append(ours)
            ratios.append(ours / bare)
        bare, ours = statistics.median(bares), statistics.median(ours_rates)
        print(
            f"{connections} connection(s): bare aiosmtpd {bare:7.0f} msg/s | helpdesk durable "
            f"{ours:7.0f} msg/s = {statistics.median(ratios):5.1%} of the ceiling "
            f"(median of {args.rounds} rounds: "
            + ", ".join(f"{r:.1%}" for r in ratios)
            + f") | all {len(raws)} tickets with confirmations queued after {total:5.1f} s "
            f"({len(raws) / total:5.0f}/s)"
        )
        print(f"    ({counts})")
    if args.runner_rounds > 0:
        runners(args, raws, BENCH_CONFIG)


if __name__ == "__main__":
    main()
