"""Ingest benchmark: SMTP acceptance and full processing against a bare aiosmtpd ceiling.

    .venv/bin/python bench/ingest.py [--corpus ../shared/corpora/spamassassin] [-n 2000]

Sends N ham messages over SMTP (one connection, then 4 in parallel) to
  1. a bare aiosmtpd server that accepts and discards (the ceiling), and
  2. the helpdesk daemon on SQLite (durable acceptance: 250 only after the commit),
and prints accepted messages/s for each, the ratio, the time until every message is a
ticket with its confirmation queued, and the runner's processing rate on one core
(messages spooled first, then drained by one runner thread in-process).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.harness import free_port, wait_until, write_config  # noqa: E402

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


def _send_slice(args: tuple[int, list[bytes]]) -> int:
    port, raws = args
    ok = 0
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        for raw in raws:
            client.sendmail("sender@example.org", ["support@example.com"], raw)
            ok += 1
    return ok


def send_all(port: int, raws: list[bytes], connections: int) -> float:
    """Send every message over `connections` parallel SMTP sessions; messages/s."""
    slices = [(port, raws[i::connections]) for i in range(connections)]
    start = time.perf_counter()
    if connections == 1:
        sent = _send_slice(slices[0])
    else:
        with mp.Pool(connections) as pool:
            sent = sum(pool.map(_send_slice, slices))
    elapsed = time.perf_counter() - start
    assert sent == len(raws)
    return sent / elapsed


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


def daemon_run(raws: list[bytes], connections: int) -> tuple[float, float, str]:
    """(accepted messages/s, seconds from the first send until all are processed, counts)."""
    from sqlalchemy import func, select

    from gateway.db import Database
    from gateway.model import Inbound, Outbox, Ticket

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        config = write_config(Path(tmp), BENCH_CONFIG, port=port)
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "--config", str(config), "run"],
            cwd=tmp,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_port(port)
            start = time.perf_counter()
            rate = send_all(port, raws, connections)
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


def runner_rate(raws: list[bytes]) -> float:
    """Tickets/s of one runner thread draining pre-spooled messages (one core)."""
    from gateway import config as config_mod
    from gateway import spool
    from gateway.daemon import prepare_database
    from gateway.runner import Runner
    from gateway.services import Services

    with tempfile.TemporaryDirectory() as tmp:
        cfg = config_mod.load(write_config(Path(tmp), BENCH_CONFIG))
        db = prepare_database(cfg)  # the schema and the [[agents]], as the daemon has them
        with db.write() as s:
            for raw in raws:
                spool.store(s, raw, source="bench", rcpt_to=["support@example.com"])
        runner = Runner(db, Services.from_config(cfg))
        start = time.perf_counter()
        n = runner.drain()
        elapsed = time.perf_counter() - start
        db.dispose()
        return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared/corpora/spamassassin")
    parser.add_argument("-n", type=int, default=2000)
    args = parser.parse_args()
    raws = load_corpus(args.corpus, args.n)
    print(f"{len(raws)} ham messages, {sum(map(len, raws)) / len(raws) / 1024:.1f} KiB average")
    for connections in (1, 4):
        bare = bare_ceiling(raws, connections)
        ours, total, counts = daemon_run(raws, connections)
        print(
            f"{connections} connection(s): bare aiosmtpd {bare:7.0f} msg/s | helpdesk durable "
            f"{ours:7.0f} msg/s = {ours / bare:5.1%} of the ceiling | all {len(raws)} tickets "
            f"with confirmations queued after {total:5.1f} s ({len(raws) / total:5.0f}/s)"
        )
        print(f"    ({counts})")
    print(
        f"runner alone, one thread: {runner_rate(raws):.0f} tickets/s (parse, thread, store, "
        f"confirmation and agent notice queued, committed)"
    )


if __name__ == "__main__":
    main()
