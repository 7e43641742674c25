"""Rows the processing writes and never reads back as objects: Core statements on the
session's connection.

The session's own `execute` runs even a plain insert through the ORM's bulk machinery
(about 150 µs a statement against 55 µs on the connection), and the runner writes a
dozen such rows per message. The connection is the session's, inside its current
transaction or savepoint, so these rows commit or roll back with everything else. The
ids written must belong to flushed rows (they do: they come from flushed objects), as
nothing here flushes the session first.

On SQLite the statements the runner sends for every message are `Precompiled`: compiled
once per set of parameter names (gateway.store.precompiled), then sent as their SQL text
with the values in order, bypassing the per-execution work of a Core statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Executable, Insert, Table, insert
from sqlalchemy.orm import DeclarativeBase, Session

from gateway.store.precompiled import Precompiled


def table_insert(entity: type[DeclarativeBase]) -> Precompiled:
    """An INSERT into `entity`'s table (built once per statement: its compiled form is
    then cached). Values are keyed by column name."""
    table = entity.__table__
    assert isinstance(table, Table)
    return Precompiled(insert(table))


def write(
    session: Session,
    stmt: Insert | Precompiled,
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> None:
    """Execute `stmt` for one row or (executemany) several, in the session's transaction."""
    if isinstance(stmt, Precompiled):
        stmt.execute(session.connection(), rows)
    else:
        session.connection().execute(stmt, rows)


def scalar(
    session: Session, stmt: Executable | Precompiled, params: Mapping[str, Any] | None = None
) -> Any:
    """The first column of the first row of a Core query (no ORM entities, no autoflush)."""
    if isinstance(stmt, Precompiled):
        return stmt.scalar(session.connection(), params or {})
    return session.connection().scalar(stmt, params)
