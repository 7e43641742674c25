"""fts_terms: the terms of SQLite's full-text indexes

A searched word is a prefix, and FTS5 answers a prefix query by merging the entries of
every term with that prefix across the whole index: 80-100 ms for a word in half the
messages at a million tickets, whatever the page. With the indexes' terms in a table of
their own, the listing replaces the prefix by its few exact terms (gateway.store.fts_terms).
The table is filled here from both indexes' vocabularies and kept by the commits that
index new text; `fts_terms_state` says whether it is in step with the indexes.
PostgreSQL has no such table (its GIN indexes answer prefixes).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 10:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from gateway.store import fts_terms

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    fts_terms.refill(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        fts_terms.drop(conn)
