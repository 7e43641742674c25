"""IMAP intake benchmark: drain rate of a 10,000-message backlog, and IDLE latency.

    python bench/imap.py [--messages 10000] [--latency 50] [--batch-size 50]

Starts a private Dovecot (tests/dovecot.py), APPENDs corpus messages (each with a unique
Message-ID), starts a poller on a fresh SQLite database and prints:
- drain: messages/s from poller start until every message is a spool row;
- latency: APPEND to committed spool row under IDLE, p50 and p95 over single messages.
The end point is a `Sink`; a sink that waits for tickets (the runner) gives `--tickets`.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imapclient import IMAPClient  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from gateway.config import ImapSection  # noqa: E402
from gateway.db import Database, upgrade  # noqa: E402
from gateway.intake.imap import MailboxPoller  # noqa: E402
from gateway.model import Inbound  # noqa: E402
from tests.dovecot import Dovecot  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "spamassassin"
_MESSAGE_ID = re.compile(rb"^Message-ID:.*(?:\r?\n[ \t].*)*\r?\n", re.IGNORECASE | re.MULTILINE)


def corpus_files(corpus: Path) -> list[Path]:
    files = sorted(p for p in corpus.glob("*/*") if p.is_file())
    if not files:
        raise SystemExit(f"no corpus messages under {corpus}")
    return files


def unique(raw: bytes, n: int) -> bytes:
    """The message with CRLF line ends and its Message-ID replaced by a unique one."""
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    head, sep, body = raw.partition(b"\r\n\r\n")
    head = _MESSAGE_ID.sub(b"", head + b"\r\n").rstrip(b"\r\n")
    mid = f"Message-ID: <bench-{n}-{time.time_ns()}@bench.invalid>\r\n".encode()
    return mid + head + (sep or b"\r\n\r\n") + body


class Sink:
    """Where a benchmarked message counts as arrived: here, a committed spool row."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.changed = threading.Condition()

    def on_stored(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def count(self) -> int:
        with self.db.read() as session:
            return int(session.scalar(select(func.count()).select_from(Inbound)) or 0)

    def wait_for(self, n: int, timeout: float) -> float:
        """Block until `n` messages arrived; returns the monotonic time it was seen."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while self.count() < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"timed out waiting for {n} messages (have {self.count()})")
                self.changed.wait(min(left, 0.5))
        return time.monotonic()


def append_backlog(server: Dovecot, files: list[Path], total: int) -> float:
    client = IMAPClient(server.host, port=server.port, ssl=False, timeout=120)
    client.login("support", server.password)
    start = time.monotonic()
    chunk: list[bytes] = []
    for n in range(total):
        chunk.append(unique(files[n % len(files)].read_bytes(), n))
        if len(chunk) == 200 or n == total - 1:
            client.multiappend("INBOX", chunk)
            chunk = []
    client.logout()
    return time.monotonic() - start


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency", type=int, default=50, help="single messages timed")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--tickets", action="store_true", help="measure up to tickets")
    args = parser.parse_args()
    if args.tickets:
        raise SystemExit("--tickets needs the runner; it is not wired into this bench yet")

    files = corpus_files(args.corpus)
    server = Dovecot(tls=False)
    server.start()
    workdir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    stop = threading.Event()
    thread: threading.Thread | None = None
    try:
        took = append_backlog(server, files, args.messages)
        print(f"appended {args.messages} messages in {took:.1f} s (Dovecot MULTIAPPEND)")
        url = f"sqlite:///{workdir / 'helpdesk.db'}"
        upgrade(url)
        db = Database(url)
        sink = Sink(db)
        box = ImapSection(
            host=server.host, port=server.port, username="support",
            password=server.password, name="bench", poll_seconds=300,
            batch_size=args.batch_size,
        )  # fmt: skip
        poller = MailboxPoller(box, db, sink.on_stored)
        thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
        start = time.monotonic()
        thread.start()
        done = sink.wait_for(args.messages, timeout=600)
        rate = args.messages / (done - start)
        print(f"drain: {args.messages} messages in {done - start:.1f} s = {rate:.0f} messages/s")

        while poller.status().state != "idle":
            time.sleep(0.05)
        client = IMAPClient(server.host, port=server.port, ssl=False, timeout=60)
        client.login("support", server.password)
        latencies: list[float] = []
        for i in range(args.latency):
            raw = unique(files[i % len(files)].read_bytes(), args.messages + i)
            sent = time.monotonic()
            client.append("INBOX", raw)
            latencies.append(sink.wait_for(args.messages + i + 1, timeout=30) - sent)
            time.sleep(0.05)  # single messages, not a burst
        client.logout()
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        print(
            f"latency APPEND->spool under IDLE over {len(latencies)}: "
            f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms, mean {statistics.mean(latencies) * 1000:.0f} ms"
        )
        print(f"poller status: {poller.status().state}, errors: {poller.status().last_error}")
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=10)
        server.cleanup()


if __name__ == "__main__":
    main()
