"""One run of a scheduled job per tick, whichever of several daemons gets there first.

Every daemon on a shared PostgreSQL database schedules the same jobs (escalation check,
report mail, spam digest and confirmation), each on its own clock. A job's run starts by
taking the job's row in `kv` (`job.<name>`) in the job's own transaction: locked with
SKIP LOCKED, so that while one daemon runs the job the others pass at once instead of
waiting to repeat it; and skipped when the row says the job ran less than `gap` ago (a
tick already done by another daemon). The mark commits with the job's work, so a daemon
that dies in the middle leaves neither: its session ends, the lock goes with it, and the
next daemon whose tick comes takes the job over. The row says who ran it last, when, and
how many times in all, for the admin.

SQLite has one daemon by contract and serialises writers; the same mark keeps a CLI run
and the daemon from doing one tick twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from gateway.store.model import KeyValue

log = logging.getLogger(__name__)

PREFIX = "job."
# A tick of an interval job comes within this share of its period of the last run: the
# daemons' schedules have phases of their own, and a run a moment after another daemon's
# is the same tick. (Too large a share would let a run slip in between two ticks.)
INTERVAL_SHARE = 0.9


def this_daemon() -> str:
    """Who runs a job, as the row records it: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def interval_gap(seconds: float) -> dt.timedelta:
    """The least time between two runs of a job that ticks every `seconds`."""
    return dt.timedelta(seconds=seconds * INTERVAL_SHARE)


def take_run(session: Session, job: str, now: dt.datetime, gap: dt.timedelta) -> bool:
    """In the job's write transaction: True when this transaction is to run the job now.

    Records the run (committed or rolled back with the job's work); False when another
    daemon is running the job at this moment or ran it less than `gap` before `now`.
    """
    key = PREFIX + job
    row = _locked_row(session, key)
    if row is None:
        log.info("job %s: another daemon is running it; skipped", job)
        return False
    value = dict(row.value or {})
    at = value.get("at")
    last = dt.datetime.fromisoformat(str(at)) if at else None
    if last is not None and now - last < gap:
        log.debug("job %s: already run at %s by %s; skipped", job, at, value.get("by"))
        return False
    runs = value.get("runs")
    row.value = {
        "at": now.isoformat(),
        "by": this_daemon(),
        "runs": (runs if isinstance(runs, int) else 0) + 1,
    }
    row.updated_at = now
    log.info("job %s: run at %s (the last: %s by %s)", job, now.isoformat(), at, value.get("by"))
    return True


def _locked_row(session: Session, key: str) -> KeyValue | None:
    """The job's row, locked by this transaction; None when another one holds it."""
    if session.get_bind().dialect.name == "sqlite":
        row = session.get(KeyValue, key)
        if row is None:
            row = KeyValue(key=key, value={})
            session.add(row)
        return row
    locked = select(KeyValue).where(KeyValue.key == key).with_for_update(skip_locked=True)
    locked = locked.execution_options(populate_existing=True)
    row = session.scalar(locked)
    if row is not None:
        return row
    if session.scalar(select(KeyValue.key).where(KeyValue.key == key)) is not None:
        return None  # there, and locked by the daemon running the job
    # The job's first run: the row is created by whichever daemon comes first (a
    # concurrent insert waits for that one's commit, then does nothing).
    session.execute(
        pg_insert(KeyValue).values(key=key, value={}).on_conflict_do_nothing(index_elements=["key"])
    )
    return session.scalar(locked)
