"""The disk's share of durable acceptance: what one SQLite commit costs where the daemon's
spool lives, and the most a sink that waited for such a commit per message could reach.

A message over one SMTP connection is acknowledged only after its commit, and the client
sends the next one only after the 250, so one fsync a message is the least durability
costs there (group commit helps only when several sessions send at once). bench/ingest.py
prints this floor beside its ratio, so a ratio can be read against what the disk allows:

    bare sink:  t_sink a message            -> 1 / t_sink messages/s (the ceiling)
    durable:    t_sink + t_commit a message -> at most t_sink / (t_sink + t_commit)
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Floor:
    commit_p50: float  # seconds: BEGIN IMMEDIATE, one INSERT, COMMIT with synchronous=FULL
    commit_p90: float

    def most(self, sink_rate: float) -> float:
        """The largest share of a sink of `sink_rate` messages/s that one such commit a
        message leaves, at one connection."""
        t_sink = 1.0 / sink_rate
        return t_sink / (t_sink + self.commit_p50)


def measure(directory: Path, size: int, count: int = 400) -> Floor:
    """Time `count` commits of a `size`-byte row in a WAL database under `directory` (the
    spool's settings: journal_mode=WAL, synchronous=FULL)."""
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("CREATE TABLE spool (id INTEGER PRIMARY KEY, raw BLOB)")
            row = os.urandom(size)
            times = []
            for _ in range(count):
                started = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO spool (raw) VALUES (?)", (row,))
                conn.execute("COMMIT")
                times.append(time.perf_counter() - started)
        finally:
            conn.close()
    deciles = statistics.quantiles(times, n=10)
    return Floor(statistics.median(times), deciles[8])
