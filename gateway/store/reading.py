"""What plain SQL is read through: a fetch function that knows its database's dialect,
opened by gateway.store.plain on a database, or made here over an SQLAlchemy connection
or session already open (the pipeline's `#my`, the search terms' upkeep, the tests).

Apart from gateway.store.plain, which opens databases (through gateway.store.db for
anything but an SQLite file): the modules that only run statements import this one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

# One statement's rows as dicts by column name (none for a statement without rows).
Fetch = Callable[[str, Mapping[str, Any]], list[dict[str, Any]]]


class Reader:
    """A fetch function (called with SQL text and its parameters) that also knows its
    database's dialect: the few statements that differ between SQLite and PostgreSQL
    (full-text search, boolean literals) are chosen by it."""

    def __init__(self, dialect: str, fetch: Fetch) -> None:
        self.dialect = dialect
        self._fetch = fetch

    def __call__(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self._fetch(sql, params)

    def value(self, sql: str, params: Mapping[str, Any]) -> Any:
        """The first column of the first row (None without a row)."""
        rows = self._fetch(sql, params)
        return next(iter(rows[0].values())) if rows else None


def over(source: Reader | Connection | Session) -> Reader:
    """A reader on an open SQLAlchemy connection or session (its transaction), or the
    reader itself: the listing as the pipeline's `#my` and the tests call it."""
    if isinstance(source, Reader):
        return source
    # SQLAlchemy is loaded already: the caller holds one of its connections.
    from sqlalchemy import Connection, text

    conn = source if isinstance(source, Connection) else source.connection()

    def fetch(sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        result = conn.execute(text(sql), params)
        return [dict(row) for row in result.mappings()] if result.returns_rows else []

    return Reader(conn.dialect.name, fetch)
