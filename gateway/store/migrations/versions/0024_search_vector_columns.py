"""PostgreSQL: the full-text vectors in stored generated columns, indexed there

A listing of a common word (one in half the messages) walks the newest tickets and tests
each (gateway.store.fts_walk): the GIN index cannot serve it, since any look-up of a word
reads all its entries (a second and more at a million tickets), and computing a
message's vector again costs ~150 microseconds. `tickets.search_vector` and
`messages.search_vector` hold the vectors the GIN indexes held, computed by PostgreSQL as
rows are written; the indexes now cover the columns. The expression indexes are dropped
first, so that adding the columns does not compute every vector twice. SQLite: nothing
(its FTS5 tables serve both ways).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from gateway.store import search

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name in search.PG_EXPRESSION_INDEXES.values():
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    for statement in search.PG_DDL:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in search.PG_DROP:
        bind.exec_driver_sql(statement)
    for statement in search.PG_EXPRESSION_DDL:
        bind.exec_driver_sql(statement)
