"""Purge benchmark: one `helpdesk purge` batch on a spool with a long, mostly purged history.

    .venv/bin/python bench/purge.py [--rows 1000000] [--dir /tmp/helpdesk-purge]

Builds a SQLite database with the product's schema (Alembic head) whose inbound table
holds ROWS processed messages: 90% older than a year and already purged, 2% older than a
year and kept (what a nightly run drops), the rest recent. Prints, for the query purge
runs (the partial index ix_inbound_purgeable) and for the one it ran before (state, age
and raw filtered with no index on the age), the query plan and the median time of one
batch of 1,000 ids. Target: the batch's cost follows the batch, not ROWS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import select, text  # noqa: E402

from gateway.cli.maintenance import PURGE_BATCH, batch_query, purgeable  # noqa: E402
from gateway.store.db import Database, upgrade  # noqa: E402
from gateway.store.model import Inbound  # noqa: E402


def build(db: Database, rows: int) -> None:
    now = dt.datetime.now(dt.UTC)
    old, recent = now - dt.timedelta(days=500), now - dt.timedelta(days=10)
    raw = b"Received: from mx.example.net\r\nSubject: x\r\n\r\n" + b"x" * 200
    states = ("done", "ignored", "duplicate", "done", "done")
    with db.engine.begin() as conn:
        batch = []
        for i in range(rows):
            share = i / rows
            kept = share >= 0.90
            when = old if share < 0.92 else recent
            batch.append(
                {
                    "received_at": (when + dt.timedelta(seconds=i)).strftime("%Y-%m-%d %H:%M:%S"),
                    "id": i + 1,
                    "raw": raw,
                    "kept": kept,
                    "dropped": None if kept else "2026-01-01 00:00:00",
                    "state": states[i % len(states)],
                    "sha": f"{i:064x}",
                }
            )
            if len(batch) == 50_000 or i == rows - 1:
                conn.execute(
                    text(
                        "INSERT INTO inbound (id, received_at, source, mail_from, rcpt_to, size,"
                        " sha256, state, attempts, trace, origin, raw_dropped_at) VALUES (:id,"
                        " :received_at, 'smtp', 'a@example.ru', '[]', 250, :sha, :state, 1,"
                        " '[]', '{}', :dropped)"
                    ),
                    batch,
                )
                conn.execute(
                    text("INSERT INTO inbound_raw (inbound_id, raw) VALUES (:id, :raw)"),
                    [row for row in batch if row["kept"]],
                )
                batch = []
        conn.execute(text("ANALYZE"))


def measure(db: Database, query: object, label: str) -> None:
    with db.read() as session:
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})  # type: ignore[attr-defined]
        plan = " | ".join(
            str(r[-1]) for r in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
        )
        times = []
        for _ in range(5):
            start = time.perf_counter()
            ids = list(session.scalars(query))  # type: ignore[call-overload]
            times.append(time.perf_counter() - start)
    print(f"{label}: {len(ids)} ids in {statistics.median(times) * 1000:.1f} ms (median of 5)")
    print(f"  plan: {plan}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="helpdesk-purge-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'purge.db'}"
    upgrade(url)
    db = Database(url)
    try:
        started = time.perf_counter()
        build(db, args.rows)
        print(f"{args.rows} inbound rows built in {time.perf_counter() - started:.0f} s")
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
        (_name, model, where), _sent = purgeable(cutoff)
        measure(db, batch_query(model, where), "purge batch (partial age index)")
        before = (
            select(Inbound.id)
            .where(
                Inbound.state.in_(("done", "ignored", "duplicate", "discarded")),
                Inbound.received_at < cutoff,
                Inbound.raw_dropped_at.is_(None),
            )
            .limit(PURGE_BATCH)
        )
        measure(db, before, "previous batch query (no age index)")
    finally:
        db.dispose()
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
