"""The SMTP hot path on SQLite: spool rows inserted on a driver connection of their own.

Acceptance over one SMTP connection is strictly sequential: the sender waits for our 250
before it sends the next message, so every microsecond between the end of DATA and the
commit is a microsecond of throughput. An ORM session or even a Core `execute` costs more
per message than the INSERT itself, so here the statement is compiled once and executed
on the DB-API connection directly.

The values still go through SQLAlchemy's own bind processors for each column (the JSON and
the UTC timestamp columns), so a row written here is byte for byte what the ORM writes.
The connection never waits for SQLite's lock (`busy_timeout` 0): a caller on the event
loop must not block, and hands a busy moment to a thread that may wait.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.pool import PoolProxiedConnection

from gateway.store.checkpoint import HIGH_PAGES
from gateway.store.db import Database
from gateway.store.model import Inbound, InboundRaw

_COLUMNS = (
    "received_at",
    "source",
    "mail_from",
    "rcpt_to",
    "size",
    "sha256",
    "state",
    "attempts",
    "trace",
    "origin",
)


class Busy(Exception):
    """Another writer holds SQLite's lock right now."""


class SqliteSpoolInserter:
    """Inserts spool rows in one transaction without waiting for a lock (SQLite only)."""

    def __init__(self, db: Database) -> None:
        assert db.sqlite
        dialect = db.engine.dialect
        table = Inbound.__table__
        assert isinstance(table, Table)
        stmt = insert(table).values({name: bindparam(name) for name in _COLUMNS})
        compiled = stmt.returning(table.c.id).compile(dialect=dialect)
        self._sql = str(compiled)
        order = compiled.positiontup
        assert order is not None and sorted(order) == sorted(_COLUMNS)
        identity: Callable[[Any], Any] = _identity
        self._binds: list[tuple[str, Callable[[Any], Any]]] = [
            (name, table.c[name].type.bind_processor(dialect) or identity) for name in order
        ]
        raw_table = InboundRaw.__table__
        assert isinstance(raw_table, Table)
        raw_stmt = insert(raw_table).values(
            inbound_id=bindparam("inbound_id"), raw=bindparam("raw")
        )
        raw_compiled = raw_stmt.compile(dialect=dialect)
        self._raw_sql = str(raw_compiled)
        assert raw_compiled.positiontup == ["inbound_id", "raw"]
        self._raw_bind = raw_table.c.raw.type.bind_processor(dialect) or identity
        # Held for the writer's lifetime; the engine's connect events already set WAL,
        # synchronous=FULL and the rest.
        self._proxy: PoolProxiedConnection = db.engine.raw_connection()
        driver = self._proxy.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        self._conn = driver
        self._conn.execute("PRAGMA busy_timeout=0")
        # The processing process's checkpointer copies the WAL into the database every
        # ~1,000 pages, off every commit (gateway.store.checkpoint): a WAL that is reused
        # costs half the fsync of one that grows (measured), and a commit that copied it
        # would answer its 250 later (at a million tickets a checkpoint writes scattered
        # pages of a large file). This connection checkpoints only past the checkpointer's
        # high mark, when no processing runs to do it.
        self._conn.execute(f"PRAGMA wal_autocheckpoint={HIGH_PAGES}")

    def insert(self, rows: Sequence[dict[str, object]]) -> list[int]:
        """Commit `rows`; their ids in order. `Busy` when the lock is taken (nothing done)."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _busy_or(exc) from exc
        try:
            ids = []
            for row in rows:
                params = [process(row[name]) for name, process in self._binds]
                row_id = int(conn.execute(self._sql, params).fetchone()[0])
                conn.execute(self._raw_sql, (row_id, self._raw_bind(row["raw"])))
                ids.append(row_id)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                raise _busy_or(exc) from exc
            raise
        return ids

    def close(self) -> None:
        # Not back to the pool: its busy_timeout is not the one other users expect.
        self._proxy.invalidate()


def _busy_or(exc: sqlite3.OperationalError) -> Exception:
    text = str(exc)
    return Busy(text) if "locked" in text or "busy" in text else exc


def _identity(value: Any) -> Any:
    return value
