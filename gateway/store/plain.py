"""Reads of plain SQL in one transaction: an SQLite file through the stdlib's sqlite3,
PostgreSQL through psycopg (gateway.store.pg_plain), any other database through
SQLAlchemy (the reader: gateway.store.reading).

Importing SQLAlchemy costs 0.25-0.3 s on these cores, as much as the whole budget of
`helpdesk tickets show` and half of `tickets list`'s (issue 17). Their statements, in
portable SQL with `:name` parameters (which both sqlite3 and SQLAlchemy's text() take),
need none of it on SQLite nor on PostgreSQL. Values come as the driver gives them (SQLite: 0/1 for
booleans, text for times): the caller converts (gateway.store.formats.stored_time).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any

from gateway.store import pg_plain
from gateway.store.files import private_file, sqlite_file, unicode_lower
from gateway.store.reading import Reader, over


@contextlib.contextmanager
def reader(url: str, busy_timeout: float = 30.0) -> Iterator[Reader]:
    """A reader whose statements all read one snapshot of the database."""
    if url.startswith(pg_plain.SCHEME + "://"):
        # No lock to wait for: PostgreSQL's readers take none a writer holds.
        with pg_plain.reader(url) as found:
            yield found
        return
    path = sqlite_file(url)
    if path is None:
        with _core_reader(url, busy_timeout) as found:
            yield found
        return
    # As the engine does: the file made private if missing (a desk not set up then says
    # "no such table", with the hint to upgrade), and a lock waited for, not failed on.
    private_file(path)
    conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        # The engine's lower(), which folds more than ASCII (the LIKE fallback's search).
        conn.create_function("lower", 1, unicode_lower, deterministic=True)

        def fetch(sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
            return [dict(row) for row in conn.execute(sql, params)]

        # One read transaction: a page and its count, a ticket's messages and
        # attachments, from one snapshot.
        conn.execute("BEGIN")
        try:
            yield Reader("sqlite", fetch)
        finally:
            conn.execute("ROLLBACK")
    finally:
        conn.close()


@contextlib.contextmanager
def _core_reader(url: str, busy_timeout: float) -> Iterator[Reader]:
    from gateway.store.db import Database

    database = Database(url, busy_timeout=busy_timeout)
    try:
        # Begun on the first statement, rolled back as the connection closes.
        with database.engine.connect() as conn:
            yield over(conn)
    finally:
        database.dispose()
