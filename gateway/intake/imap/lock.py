"""One poller per mailbox across daemons: a PostgreSQL advisory lock on its own connection.

On SQLite there is one daemon by contract, so the lock is always held.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from gateway.store.db import Database

log = logging.getLogger("gateway.intake.imap")


def lock_id(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock (Python's hash() is salted)."""
    digest = hashlib.sha256(f"helpdesk-imap:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class MailboxLock:
    """Held for as long as the poller polls; released by close() or by the connection's end."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        self.key = lock_id(name)
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        """Try once, without waiting; True when this process holds the lock."""
        if self.db.sqlite:
            return True
        if self._conn is not None and self._alive():
            return True
        self.release()
        try:
            conn = self.db.engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            # Session-level advisory locks outlive the transaction; end it so the
            # connection does not sit "idle in transaction".
            conn.commit()
        except SQLAlchemyError as exc:
            log.warning("imap %s: advisory lock unavailable: %s", self.name, exc)
            return False
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    @property
    def owned(self) -> bool:
        """Whether this process took the lock (without asking the server again)."""
        return self.db.sqlite or self._conn is not None

    def held(self) -> bool:
        """Whether the lock is still ours (its connection may have died with the server)."""
        return self.db.sqlite or (self._conn is not None and self._alive())

    def _alive(self) -> bool:
        assert self._conn is not None
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except SQLAlchemyError:
            return False

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self._conn.commit()
        except SQLAlchemyError:
            pass  # the connection is gone, and the lock with it
        finally:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None
