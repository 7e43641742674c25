"""IMAP intake benchmark, end to end through the daemon: backlog drain rate and IDLE latency.

    python bench/imap.py [--messages 10000] [--latency 50] [--batch-size 50]

Starts a private Dovecot (tests/dovecot.py) and APPENDs `--messages` ham messages from the
corpus (cycled if it has fewer), each normalised by bench/ingest.py into a distinct person's
new request with a unique Message-ID. Then starts the real daemon (`python -m gateway run`,
a subprocess on SQLite in a temp dir) with an `[[imap]]` mailbox on that Dovecot (IDLE,
`poll_seconds = 300`, MOVE to Processed) and prints:
- drain: from daemon start until every message is a spool row (messages/s), and until every
  message is processed into a ticket (tickets/s);
- latency, with the backlog drained and the poller in IDLE: single messages APPENDed one at
  a time, each timed until it is a ticket (the issue's figure) and until it is a spool row
  (for comparison); p50 and p95. The database is polled read-only every 10 ms.
Targets (issue 3): drain at least 100 messages/s; p95 APPEND-to-ticket under 2 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imapclient import IMAPClient  # noqa: E402

from bench.ingest import BENCH_CONFIG, HAM, normalise  # noqa: E402
from tests.dovecot import Dovecot  # noqa: E402
from tests.harness import Daemon, processing_pid  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "spamassassin"
MAILBOX = "bench"
DRAIN_POLL = 0.1  # seconds between database looks while the backlog drains
LATENCY_POLL = 0.01  # seconds between database looks per single message
DRAIN_TIMEOUT = 900.0
LATENCY_TIMEOUT = 30.0


def corpus_files(corpus: Path) -> list[Path]:
    files = sorted(p for d in HAM if (corpus / d).is_dir() for p in (corpus / d).iterdir())
    files = [p for p in files if p.is_file()]
    if not files:
        raise SystemExit(f"no ham messages under {corpus} ({', '.join(HAM)})")
    return files


def request(files: list[Path], n: int) -> bytes:
    """Corpus message `n` (cycled) as person n's new request, with CRLF line ends."""
    raw = files[n % len(files)].read_bytes().replace(b"\r\n", b"\n")
    return normalise(raw, n).replace(b"\n", b"\r\n")


def append_backlog(server: Dovecot, files: list[Path], total: int) -> float:
    client = IMAPClient(server.host, port=server.port, ssl=False, timeout=120)
    client.login("support", server.password)
    start = time.monotonic()
    chunk: list[bytes] = []
    for n in range(total):
        chunk.append(request(files, n))
        if len(chunk) == 200 or n == total - 1:
            client.multiappend("INBOX", chunk)
            chunk = []
    client.logout()
    return time.monotonic() - start


def imap_table(server: Dovecot, batch_size: int) -> str:
    return f"""
[[imap]]
name = "{MAILBOX}"
host = "{server.host}"
port = {server.port}
username = "support"
password = "{server.password}"
folder = "INBOX"
processed_folder = "Processed"
idle = true
poll_seconds = 300
batch_size = {batch_size}
address = "support@example.com"

{BENCH_CONFIG}"""


class Spool:
    """The daemon's SQLite database, opened read-only; every query sees the latest commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, isolation_level=None, timeout=5
            )
        return self._conn

    def scalar(self, sql: str, *params: object) -> int:
        row = self.conn.execute(sql, params).fetchone()
        return int(row[0] or 0) if row else 0

    def rows(self) -> int:
        return self.scalar("SELECT count(*) FROM inbound")

    def unprocessed(self) -> int:
        return self.scalar("SELECT count(*) FROM inbound WHERE state = 'new'")

    def last_id(self) -> int:
        return self.scalar("SELECT max(id) FROM inbound")

    def first_after(self, last_id: int) -> tuple[str, int | None] | None:
        """(state, ticket_id) of the first spool row after `last_id`, if there is one."""
        row = self.conn.execute(
            "SELECT state, ticket_id FROM inbound WHERE id > ? ORDER BY id LIMIT 1", (last_id,)
        ).fetchone()
        return (str(row[0]), row[1]) if row else None

    def summary(self) -> str:
        states = dict(
            self.conn.execute("SELECT state, count(*) FROM inbound GROUP BY state").fetchall()
        )
        tickets = self.scalar("SELECT count(DISTINCT ticket_id) FROM inbound")
        confirmations = self.scalar("SELECT count(*) FROM outbox WHERE kind = 'confirmation'")
        return f"{tickets} tickets, {confirmations} confirmations queued, spool {states}"

    def poller_state(self) -> dict[str, object]:
        row = self.conn.execute(
            "SELECT value FROM kv WHERE key = ?", (f"imap-status:{MAILBOX}",)
        ).fetchone()
        value = json.loads(row[0]) if row else {}
        return value if isinstance(value, dict) else {}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def wait_for(check: Callable[[], bool], timeout: float, interval: float, what: str) -> float:
    """Poll `check` until true; the monotonic time it was first seen true."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return time.monotonic()
        except sqlite3.OperationalError:
            pass  # the database is not created yet, or briefly locked
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def cpu_seconds(pid: int, task: str = "") -> float:
    """User + system CPU time of a process (or one of its threads) so far."""
    fields = Path(f"/proc/{task or pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> list[float]:
    """CPU seconds of each thread of a process, in start order (the main thread first)."""
    tids = sorted(int(t.name) for t in Path(f"/proc/{pid}/task").iterdir())
    return [cpu_seconds(pid, f"{pid}/task/{tid}") for tid in tids]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def describe(name: str, values: list[float]) -> str:
    return (
        f"{name} over {len(values)}: p50 {percentile(values, 50) * 1000:.0f} ms, "
        f"p95 {percentile(values, 95) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms, "
        f"mean {statistics.mean(values) * 1000:.0f} ms"
    )


def drain(daemon: Daemon, spool: Spool, total: int) -> None:
    start = time.monotonic()
    daemon.start()
    assert daemon.proc is not None
    listening = time.monotonic()
    first = wait_for(lambda: spool.rows() > 0, 60, DRAIN_POLL, "the first spool row")
    # The IMAP pollers and the runner live in the processing process; the SMTP process
    # only listens here.
    pid = processing_pid(daemon.proc.pid)
    if pid is None:
        raise SystemExit("the daemon's processing process is not running")
    spooled = wait_for(lambda: spool.rows() >= total, DRAIN_TIMEOUT, DRAIN_POLL,
                       f"{total} spool rows")  # fmt: skip
    cpu_spooled = cpu_seconds(pid)
    processed = wait_for(lambda: spool.unprocessed() == 0, DRAIN_TIMEOUT, DRAIN_POLL,
                         f"{total} messages processed")  # fmt: skip
    cpu_processed = cpu_seconds(pid)
    threads = thread_cpu(pid)
    to_spool, to_tickets = spooled - start, processed - start
    print(
        f"daemon start: listening after {listening - start:.1f} s, "
        f"first spool row after {first - start:.1f} s"
    )
    print(
        f"drain into the spool: {total} messages in {to_spool:.1f} s = "
        f"{total / to_spool:.0f} messages/s (processing CPU {cpu_spooled:.1f} s)"
    )
    print(
        f"drain into tickets: {total} messages in {to_tickets:.1f} s = "
        f"{total / to_tickets:.0f} tickets/s (processing CPU {cpu_processed:.1f} s, "
        f"{cpu_processed / to_tickets:.2f} cores)"
    )
    print(f"    ({spool.summary()})")
    # The processing process starts: main, runner, outbox, wake, the IMAP poller, then
    # the scheduler; later threads are helpers.
    print("    processing CPU by thread in start order (s): "
          + ", ".join(f"{c:.1f}" for c in threads))  # fmt: skip


def latency(server: Dovecot, spool: Spool, files: list[Path], first: int, count: int) -> None:
    idle = lambda: spool.poller_state().get("state") == "idle"  # noqa: E731
    wait_for(idle, 60, LATENCY_POLL, "the poller to IDLE")
    client = IMAPClient(server.host, port=server.port, ssl=False, timeout=60)
    client.login("support", server.password)
    to_spool: list[float] = []
    to_ticket: list[float] = []
    not_tickets = 0
    try:
        for n in range(first, first + count):
            raw = request(files, n)
            last = spool.last_id()
            sent = time.monotonic()
            client.append("INBOX", raw)
            stored: float | None = None
            deadline = sent + LATENCY_TIMEOUT
            while True:
                row = spool.first_after(last)
                now = time.monotonic()
                if row is not None:
                    if stored is None:
                        stored = now
                    state, ticket = row
                    if ticket is not None or state != "new":
                        break
                if now > deadline:
                    raise SystemExit(f"message {n} not processed after {LATENCY_TIMEOUT:.0f} s")
                time.sleep(LATENCY_POLL)
            to_spool.append(stored - sent)
            if ticket is None:
                not_tickets += 1
            else:
                to_ticket.append(now - sent)
            # Single messages, not a burst: the next one goes to a poller back in IDLE.
            wait_for(idle, 10, LATENCY_POLL, "the poller to IDLE again")
            time.sleep(0.05)
    finally:
        with contextlib.suppress(Exception):
            client.logout()
    if to_ticket:
        print(describe("latency APPEND->ticket under IDLE", to_ticket))
    print(describe("latency APPEND->spool row under IDLE", to_spool))
    if not_tickets:
        print(f"    ({not_tickets} of {count} single messages were processed without a ticket)")


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # run the clean-up in `finally`


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000, help="backlog size")
    parser.add_argument("--latency", type=int, default=50, help="single messages timed")
    parser.add_argument("--batch-size", type=int, default=50, help="[[imap]] batch_size")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (daemon.log)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)

    files = corpus_files(args.corpus)
    workdir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-imap-"))
    server = Dovecot(tls=False)
    daemon: Daemon | None = None
    spool = Spool(workdir / "var" / "helpdesk.db")
    ok = False
    try:
        server.start()
        took = append_backlog(server, files, args.messages)
        print(
            f"appended {args.messages} messages ({len(files)} distinct corpus files) in "
            f"{took:.1f} s (Dovecot MULTIAPPEND)"
        )
        daemon = Daemon(workdir, imap_table(server, args.batch_size))
        drain(daemon, spool, args.messages)
        latency(server, spool, files, args.messages, args.latency)
        poller = spool.poller_state()
        print(f"poller: {poller.get('state')}, stored {poller.get('stored')}, "
              f"last error {poller.get('last_error')}")  # fmt: skip
        ok = True
    finally:
        spool.close()
        if daemon is not None and daemon.proc is not None:
            try:
                daemon.stop()
            except Exception:
                daemon.close()
        if not ok and daemon is not None and daemon.log.exists():
            tail = daemon.log.read_text(errors="replace")[-3000:]
            print(f"--- daemon.log (tail) ---\n{tail}", file=sys.stderr)
        server.cleanup()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
