"""Claiming the runner's next batch of spooled messages, and noticing interrupted ones.

Interruptions are counted per message, never per batch, in `Inbound.attempts`: 1 marks a
message claimed in the ordinary way (alone or in a batch), and each claim to process it
alone after an interruption adds 2, so `attempts // 2` is how often it was processed
alone. A message found claimed was in a batch that a crash interrupted, but which of the
batch was being processed is not known, so none is blamed: they are processed one per
transaction (from the first interrupted one on). (0 to 1 keeps the record's size, so
SQLite rewrites one page of the row, not its whole raw message.)
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update

from gateway.spool.claims import ClaimLocks
from gateway.store.db import Database
from gateway.store.model import Inbound

# The runner's logger: its lines are the runner's, whichever module of it writes them.
log = logging.getLogger("gateway.daemon.runner")

# `Inbound.attempts` of a message claimed, not yet processed alone (see above).
CLAIMED = 1

# A batch's messages are parsed before its transaction and kept, raw and parsed, until it
# commits: a batch ends at the message that brings its raw bytes past this (at least one
# message), so that a run of large mails is never `[runner] batch_size` of them in memory.
BATCH_BYTES = 64 * 1024 * 1024


def claim(db: Database, claims: ClaimLocks, batch_size: int) -> tuple[list[int], bool]:
    """Mark the next batch claimed; say whether any of it was interrupted before."""
    taken: list[int] = []
    try:
        return _claim_rows(db, claims, batch_size, taken)
    except BaseException:
        # The claim did not commit: its locks must not keep the rows from the others.
        claims.release(taken)
        raise


def _claim_rows(
    db: Database, claims: ClaimLocks, batch_size: int, taken: list[int]
) -> tuple[list[int], bool]:
    with db.write() as session:
        query = (
            select(Inbound.id, Inbound.attempts, Inbound.size)
            .where(Inbound.state == "new")
            .order_by(Inbound.id)
            .limit(batch_size)
        )
        if not db.sqlite:
            # Another daemon's claim, even one not yet processed, is not ours to take,
            # nor a sign of a crash (gateway.spool.claims).
            query = query.where(claims.unclaimed()).with_for_update(skip_locked=True)
        rows = _within_bytes(list(session.execute(query)))
        if not db.sqlite:
            # Locked before the claim commits; a row another daemon got first is left.
            taken += claims.take([r.id for r in rows])
            rows = [r for r in rows if r.id in taken]
        if not rows:
            return [], False
        interrupted = [r.id for r in rows if r.attempts > 0]
        if interrupted:
            # Recovery goes one message at a time from the first interrupted one.
            rows = [r for r in rows if r.id >= interrupted[0]][:1]
            claims.release([i for i in taken if i != rows[0].id])
            log.warning("runner: message #%d was interrupted before; retrying alone", rows[0].id)
        ids = [r.id for r in rows]
        claimed = update(Inbound).where(Inbound.id.in_(ids))
        if interrupted:
            session.execute(claimed.values(attempts=Inbound.attempts + 2))
        else:
            session.execute(claimed.values(attempts=CLAIMED))
        return ids, bool(interrupted)


def _within_bytes(rows: list[Any]) -> list[Any]:
    """The first of `rows` (in order) up to and including the one past `BATCH_BYTES`."""
    total = 0
    for n, row in enumerate(rows):
        total += row.size or 0
        if total > BATCH_BYTES:
            return rows[: n + 1]
    return rows
