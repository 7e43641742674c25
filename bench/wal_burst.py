"""The write-ahead log over a burst: spooled mail drained by the processing process's
threads (gateway.daemon.processing.serve: runner, checkpointer, outbox, scheduler).

    .venv/bin/python bench/wal_burst.py [-n 800] [--corpus ../shared/corpora/spamassassin]

Every half second it prints the log's length (gateway.store.wal_log), how often it has
started over (new salts) and which WAL read marks this process holds on the -shm file
(/proc/locks: WAL_READ_LOCK(i) is the byte at 123 + i); then the longest log, the -wal
file's size and the processor time per message of the whole process.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from bench.ingest import BENCH_CONFIG, load_corpus  # noqa: E402
from gateway import spool  # noqa: E402
from gateway.daemon import processing  # noqa: E402
from gateway.daemon.supervisor import prepare_database  # noqa: E402
from gateway.settings import config as config_mod  # noqa: E402
from gateway.spool.pressure import IntakePressure  # noqa: E402
from gateway.store.files import sqlite_file  # noqa: E402
from gateway.store.model import Inbound  # noqa: E402
from gateway.store.wal_log import wal_log  # noqa: E402
from tests.harness import write_config  # noqa: E402

PAGE = 4096 + 24  # a frame of the log


def read_marks(shm: str) -> list[int]:
    """The WAL read marks (1..4; 0 reads the database alone) held on the -shm file, by
    /proc/locks (the file is stat'ed, never opened: that would drop SQLite's locks)."""
    inode = str(os.stat(shm).st_ino)
    marks = []
    with open("/proc/locks") as locks:
        for line in locks:
            f = line.split()
            if f[1] == "POSIX" and f[5].rsplit(":", 1)[-1] == inode and 123 <= int(f[6]) < 128:
                marks.append(int(f[6]) - 123)
    return marks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=800)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared/corpora/spamassassin")
    args = ap.parse_args()
    raws = load_corpus(args.corpus, args.n)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config_mod.load(write_config(Path(tmp), BENCH_CONFIG))
        db = prepare_database(cfg)
        with db.write() as s:
            for raw in raws:
                spool.store(s, raw, source="bench", rcpt_to=["support@example.com"])
        path = str(sqlite_file(cfg.database_url))
        stop = threading.Event()
        reader, _writer = multiprocessing.Pipe(duplex=False)
        start, cpu = time.perf_counter(), time.process_time()
        serve = threading.Thread(
            target=processing.serve, args=(cfg, IntakePressure(), reader, stop)
        )
        serve.start()
        longest, starts, salts = 0, 0, b""
        left = len(raws)
        while left:
            time.sleep(0.5)
            length, now_salts = wal_log(path)
            starts += now_salts != salts
            salts, longest = now_salts, max(longest, length)
            with db.read() as s:
                query = select(func.count()).select_from(Inbound).where(Inbound.state == "new")
                left = s.scalar(query) or 0
            marks = read_marks(f"{path}-shm")
            print(f"  {left:5d} to process, log {length:6d} pages, started {starts}, marks {marks}")
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = os.stat(f"{path}-wal").st_size // PAGE
        stop.set()
        serve.join()
        db.dispose()
    print(
        f"{len(raws)} messages: longest log {longest} pages, -wal file {size} pages, "
        f"{len(raws) / elapsed:.0f}/s, {cpu * 1000 / len(raws):.1f} ms processor time a message"
    )


if __name__ == "__main__":
    main()
