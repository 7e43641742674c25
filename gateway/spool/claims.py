"""Claims of spooled messages that say whether their claimer still lives (PostgreSQL).

A runner marks the messages it takes (`Inbound.attempts`) and commits that mark before it
processes them, so that a crash in the middle is noticed afterwards. With one daemon a mark
found on a message still new means exactly that: the process that made it is gone. With
several daemons on one database it may equally be a live daemon between its claim and its
commit (parsing the batch, say); taking such a message as "interrupted" would process it
alone, count an interruption that never happened (enough of them quarantine innocent
mail) and race the live daemon for it.

So on PostgreSQL a runner also holds a session-level advisory lock on each message it has
claimed, on a connection of its own, from before the claim commits until its processing
has committed. A claim is live while its lock is held; PostgreSQL drops the locks of a
session whose process died (SIGKILL included), and the message is then free to be taken
over as interrupted. On SQLite there is one daemon by contract, and this does nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, bindparam, column, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import Integer

from gateway.store.db import Database
from gateway.store.model import Inbound

log = logging.getLogger(__name__)

# The first key of the two-key advisory locks on spool rows ("hdsp" in ASCII); the IMAP
# mailbox locks use the one-key (bigint) form, a space of its own.
NAMESPACE = 0x68647370

# The spool rows some session of this database holds a claim lock on. A hashed subplan:
# pg_locks is read once per claim, not once per row.
_HELD = text(
    "SELECT objid::integer AS id FROM pg_locks WHERE locktype = 'advisory'"
    f" AND classid = {NAMESPACE} AND objsubid = 2"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
).columns(column("id", Integer))

_TAKE = text(
    "SELECT id FROM unnest(:ids) AS id WHERE pg_try_advisory_lock(:ns, id) ORDER BY id"
).bindparams(bindparam("ids", type_=ARRAY(Integer)))
_RELEASE = text("SELECT pg_advisory_unlock(:ns, id) FROM unnest(:ids) AS id").bindparams(
    bindparam("ids", type_=ARRAY(Integer))
)


class ClaimLocks:
    """The claim locks of one runner; every method is a no-op on SQLite."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: Connection | None = None

    def unclaimed(self) -> ColumnElement[bool]:
        """A condition on Inbound: no live session holds a claim on the row."""
        return Inbound.id.not_in(_HELD)

    def take(self, ids: Sequence[int]) -> list[int]:
        """Lock `ids` for this runner; those another session got first are left out.

        Called inside the claim's transaction, before it commits: once the claim is
        visible to the other daemons, so is its lock. Raises when the database cannot be
        reached (the claim's transaction then rolls back, and nothing is claimed).
        """
        if self._db.sqlite or not ids:
            return list(ids)
        conn = self._connection()
        try:
            got = list(conn.execute(_TAKE, {"ids": list(ids), "ns": NAMESPACE}).scalars())
            conn.commit()
        except SQLAlchemyError:
            # The connection is gone and any lock on it too; the next claim opens another.
            self.close()
            raise
        return got

    def release(self, ids: Sequence[int]) -> None:
        """Unlock `ids` once their processing has committed (or failed)."""
        if self._db.sqlite or not ids or self._conn is None:
            return
        try:
            self._conn.execute(_RELEASE, {"ids": list(ids), "ns": NAMESPACE})
            self._conn.commit()
        except SQLAlchemyError as exc:
            # The session ended, and its locks with it: nothing is left held.
            log.warning("runner: claim locks' connection lost: %s", exc)
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None

    def _connection(self) -> Connection:
        if self._conn is None:
            # Its own connection, never returned to the pool while locks are on it: a
            # pooled one could be handed to another thread or reset, and a reset would
            # drop the locks.
            self._conn = self._db.engine.connect()
        return self._conn
