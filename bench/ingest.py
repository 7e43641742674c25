"""Ingest benchmark: SMTP acceptance and full processing against a bare aiosmtpd ceiling.

    .venv/bin/python bench/ingest.py [--corpus ../shared/corpora/spamassassin] [-n 2000]
                                     [--rounds 10] [--processing running|stopped]
                                     [--connections 1,4]
                                     [--runner-rounds 3] [--baseline DIR]
                                     [--batch-sizes 50,200]

Sends N ham messages over SMTP (one connection, then 4 in parallel: `--connections`) to
  1. a bare aiosmtpd server that accepts and discards (the ceiling), and
  2. the helpdesk daemon on SQLite (durable acceptance: 250 only after the commit),
in `--rounds` slices that alternate between the two (bench/ingest_slices.py), and prints
accepted messages/s for each, the median ratio of each daemon slice to the bare slices
beside it, each message's time on either, the time until every message is a ticket with
its confirmation queued, the disk's own cost of one durable commit (bench/commit_floor.py:
the most a sink waiting for one fsync a message could reach), and the runner's processing
rate on one core (messages spooled first, then drained by one runner thread in a process
of its own, by the wall clock and by CPU time). The clock starts once every client is
connected. `--rounds 0` measures the runner alone; `--baseline DIR` runs another
checkout's daemon and runner (its own .venv) alternating with this one's, for a before and
after under the same load: bare, this daemon, bare, the baseline's, bare, ... and each
daemon slice's ratio to the bare ones beside it, then the two ratios slice by slice.
`--batch-sizes 50,200` interleaves this checkout's daemon twice instead, its runner's
transactions of each size (`[runner] batch_size`), each runner processing the backlog
of its earlier slices while its slice arrives.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.commit_floor import measure as commit_floor  # noqa: E402
from bench.ingest_slices import Slices, measure, percentile  # noqa: E402
from bench.runner_alone import runners  # noqa: E402

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


def report(name: str, run: Slices, connections: int, processing: str, load: float) -> None:
    """One daemon's acceptance against the bare slices beside its own."""
    ms = [
        f"{percentile(times, q) * 1000:.1f}"
        for times in (run.bare_latency, run.our_latency)
        for q in (0.5, 0.99)
    ]
    print(
        f"{connections} connection(s): bare aiosmtpd {statistics.median(run.bare):7.0f} msg/s"
        f" | {name} durable {statistics.median(run.ours):7.0f} msg/s = {run.ratio:5.1%} of"
        f" the ceiling (median of {len(run.ratios)} adjacent slices: "
        + ", ".join(f"{r:.0%}" for r in run.ratios)
        + f") | processing {processing}, load {load:.2f}"
    )
    print(
        f"    per message (p50/p99 ms): bare {ms[0]}/{ms[1]}, {name} {ms[2]}/{ms[3]}"
        f" | all processed {run.processed_after:5.1f} s after the last slice ({run.counts})"
    )
    print(f"    spool writer: {run.writer}")
    print(f"    -wal file after the last slice: {run.wal_bytes / 2**20:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared/corpora/spamassassin")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument(
        "--rounds", type=int, default=10, help="daemon slices, each between two bare ones"
    )
    parser.add_argument(
        "--connections", default="1,4", help="SMTP sessions in parallel, one run each (1,4)"
    )
    parser.add_argument(
        "--processing",
        choices=("running", "stopped"),
        default="running",
        help="stopped: the daemon's processing process is stopped (SIGSTOP) while it accepts",
    )
    parser.add_argument(
        "--runner-rounds", type=int, default=3, help="rounds of the runner alone (0: none)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (with its .venv) whose daemon's acceptance and runner alternate"
        " with this one's",
    )
    parser.add_argument(
        "--batch-sizes",
        help="two [runner] batch_size values (50,200): this checkout's daemon with each,"
        " interleaved, instead of the baseline's",
    )
    args = parser.parse_args()
    raws = load_corpus(args.corpus, args.n)
    print(f"{len(raws)} ham messages, {sum(map(len, raws)) / len(raws) / 1024:.1f} KiB average")
    sessions = [int(c) for c in args.connections.split(",")]
    if args.rounds > 0:
        floor = commit_floor(Path(tempfile.gettempdir()), sum(map(len, raws)) // len(raws))
        print(
            f"one durable commit a message on this disk (where the daemon's spool lives):"
            f" p50 {floor.commit_p50 * 1000:.2f} ms, p90 {floor.commit_p90 * 1000:.2f} ms"
        )
    # The daemons whose acceptance is measured, interleaved: this checkout's, then the
    # baseline's (its own .venv), each slice between two of the bare sink's.
    pythons = [sys.executable]
    names = ["helpdesk", "baseline"]
    extras: list[str] = []
    if args.batch_sizes:
        # This checkout twice, its runner's transactions of each size: what the size
        # costs acceptance while the runner processes the burst.
        sizes = [int(size) for size in args.batch_sizes.split(",")]
        pythons = [sys.executable] * len(sizes)
        names = [f"batch_size {size}" for size in sizes]
        extras = [f"batch_size = {size}\n" for size in sizes]
    elif args.baseline is not None:
        pythons.append(str(args.baseline.resolve() / ".venv/bin/python"))
    for connections in sessions if args.rounds > 0 else ():
        load = os.getloadavg()[0]
        runs = measure(
            raws,
            connections,
            args.rounds,
            BARE_SERVER,
            BENCH_CONFIG,
            args.processing,
            pythons=tuple(pythons),
            runner_keys=tuple(extras),
        )
        for name, run in zip(names, runs, strict=False):
            report(name, run, connections, args.processing, load)
            if connections == 1:
                # One session waits for each 250: no group commit can share its fsync.
                print(
                    f"    the disk's floor at one connection: a sink that waited for one"
                    f" commit a message would reach {floor.most(statistics.median(run.bare)):.1%}"
                    " of it"
                )
        if len(runs) == 2:
            ahead = [a / b for a, b in zip(runs[0].ratios, runs[1].ratios, strict=True)]
            print(
                f"    {names[0]} / {names[1]}, slice by slice: median"
                f" {statistics.median(ahead):.2f}"
                f" ({', '.join(f'{r:.2f}' for r in ahead)})"
            )
    if args.runner_rounds > 0:
        runners(args, raws, BENCH_CONFIG)


if __name__ == "__main__":
    main()
