"""Pages a processed message costs SQLite: log frames written, reads, page faults.

    .venv/bin/python bench/wal_pages.py [--db FILE.db] [--rounds 4] [--batch 250]
                                        [--pragmas "" "cache_size=-65536" ...] [--dir DIR]

On a copy of FILE.db (an empty desk without one), feeds the runner batches of
bench/scale.py's new mails, once per round for each set of `--pragmas` (each its own
engine and runner on the same file, applied to its connections after the product's own
settings; their order alternates round by round), and counts for each batch's drain:
  - the write-ahead log's frames it added (each a page written, then copied again by a
    checkpoint): the log is emptied before each drain, and nothing checkpoints during it;
    and the distinct pages among them (what one checkpoint of the batch's log writes);
  - the read calls it made and the bytes they read (/proc/self/io: SQLite reads each
    page it does not hold in its cache with one pread, from the OS's cache here);
  - the page faults (getrusage) and the processor time.
Each is printed per message, per variant and round, with the medians and the load.

Each batch is stored through another connection, as the SMTP intake stores mail in the
daemon: a commit by another connection makes SQLite drop a connection's whole page cache
at its next transaction, so what a larger cache keeps is what a batch's own transactions
touch again, not the history between batches (bench/scale_rounds.py stores on the
runner's own engine, where the cache survives between batches).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import event  # noqa: E402

from bench.scale import CONFIG, _mail  # noqa: E402
from gateway import spool  # noqa: E402
from gateway.daemon.runner import Runner  # noqa: E402
from gateway.daemon.supervisor import prepare_database  # noqa: E402
from gateway.services import Services  # noqa: E402
from gateway.settings import config as config_mod  # noqa: E402
from gateway.similar.warm import warm  # noqa: E402
from gateway.store.db import Database, upgrade  # noqa: E402
from gateway.store.wal_log import wal_log  # noqa: E402
from tests.harness import write_config  # noqa: E402


@dataclass
class Counts:
    frames: float
    distinct: float
    reads: float
    read_kib: float
    faults: float
    cpu_ms: float


def _io() -> tuple[int, int]:
    """(read calls, bytes read) of this process so far."""
    fields = dict(
        line.split(": ") for line in Path("/proc/self/io").read_text().splitlines() if line
    )
    return int(fields["syscr"]), int(fields["rchar"])


def _distinct_pages(path: Path, frames: int) -> int:
    """How many different pages the log's first `frames` frames hold: what a checkpoint
    of the whole log writes into the database file (a page written by several
    transactions is in the log once for each)."""
    with open(f"{path}-wal", "rb") as log:
        header = log.read(32)
        page_size = int.from_bytes(header[8:12], "big")
        pages = set()
        for k in range(frames):
            log.seek(32 + k * (24 + page_size))
            pages.add(int.from_bytes(log.read(4), "big"))
    return len(pages)


def _faults() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt + usage.ru_majflt


def _apply(db: Database, pragmas: str) -> None:
    statements = [p.strip() for p in pragmas.split(";") if p.strip()]

    @event.listens_for(db.engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        for statement in statements:
            dbapi_conn.execute(f"PRAGMA {statement}")

    db.engine.dispose()  # connections made before the listener get it too


def _empty_log(path: Path) -> None:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()


def measure(path: Path, config: Path, variants: list[str], rounds: int, batch: int) -> Any:
    cfg = config_mod.load(config)
    intake = Database(cfg.database_url)
    runners: dict[str, tuple[Database, Runner]] = {}
    for pragmas in variants:
        db = prepare_database(cfg)
        _apply(db, pragmas)
        db.set_autocheckpoint(0)  # the log grows through the drain, counted whole
        with db.read() as s:
            warm(s, cfg.database_url, cfg.suggestions.categories)
        runners[pragmas] = (db, Runner(db, Services.from_config(cfg)))
    done: dict[str, list[Counts]] = {v: [] for v in variants}
    n = 0
    try:
        for k in range(rounds):
            for pragmas in variants if k % 2 == 0 else variants[::-1]:
                db, runner = runners[pragmas]
                with intake.write() as s:
                    for _ in range(batch):
                        spool.store(
                            s,
                            _mail(n),
                            source="smtp",
                            mail_from="x@bench.example",
                            rcpt_to=["support@example.com"],
                        )
                        n += 1
                _empty_log(path)
                r0, b0 = _io()
                f0, c0 = _faults(), time.process_time()
                processed = runner.drain()
                cpu = time.process_time() - c0
                faults = _faults() - f0
                r1, b1 = _io()
                frames = wal_log(path)[0]
                assert processed == batch, processed
                done[pragmas].append(
                    Counts(
                        frames / batch,
                        _distinct_pages(path, frames) / batch,
                        (r1 - r0) / batch,
                        (b1 - b0) / 1024 / batch,
                        faults / batch,
                        cpu * 1000 / batch,
                    )
                )
    finally:
        for db, _ in runners.values():
            db.dispose()
        intake.dispose()
    return done


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--pragmas", nargs="+", default=["", "cache_size=-65536"])
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(dir=opts.dir))
    try:
        config = write_config(work, CONFIG)
        path = work / "var" / "helpdesk.db"
        if opts.db is not None:
            copy = work / "helpdesk.db"
            shutil.copy(opts.db, copy)
            path = copy
            url = f"sqlite:///{copy}"
            config.write_text(
                config.read_text().replace('url = "sqlite:///var/helpdesk.db"', f'url = "{url}"')
            )
            upgrade(url)  # a file kept from an earlier revision
        done = measure(path, config, opts.pragmas, opts.rounds, opts.batch)
    finally:
        shutil.rmtree(work)
    name = opts.db.name if opts.db is not None else "empty desk"
    print(f"{name}, {opts.rounds} rounds of {opts.batch} new mails, per message:")
    for pragmas, figures in done.items():
        print(f"  [{pragmas or 'product settings'}]")
        for field in ("frames", "distinct", "reads", "read_kib", "faults", "cpu_ms"):
            values = [getattr(c, field) for c in figures]
            shown = " ".join(f"{v:.1f}" for v in values)
            print(f"    {field:9} {shown}; median {statistics.median(values):.1f}")
    print("load: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
