"""tickets: an index per listing filter (newest first), and full-text search

Every filter of `tickets list` gets an index ending with the ticket id, so that a page
newest first is read off the index; the old single-column status and requester indexes
are replaced by their (column, id) forms. SQLite gets the FTS5 tables `fts_tickets` and
`fts_messages` (external content: they index `tickets.subject` and `messages.full_text`
and are filled here from the rows already there, then kept by the code that writes
tickets and messages — no trigger, no view); PostgreSQL gets GIN indexes over the
English and Russian tsvectors of the same columns.

Revision ID: 0009
Revises: 0010
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from gateway.store import search

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW = (
    ("ix_tickets_assignee", ["assignee_id", "id"]),
    ("ix_tickets_closed", ["closed", "id"]),
    ("ix_tickets_indicator", ["closed", "last_public_by", "id"]),
    ("ix_tickets_category", ["category", "id"]),
    ("ix_tickets_criticality", ["criticality", "id"]),
    ("ix_tickets_updated", ["updated_at"]),
    ("ix_tickets_linked", ["linked_ticket_id"]),
)


def upgrade() -> None:
    op.drop_index("ix_tickets_status", table_name="tickets")
    op.create_index("ix_tickets_status", "tickets", ["status", "id"])
    op.drop_index("ix_tickets_requester", table_name="tickets")
    op.create_index("ix_tickets_requester", "tickets", ["requester_id", "id"])
    for name, columns in _NEW:
        op.create_index(name, "tickets", columns)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # This revision's form, not today's (0024 gave the vectors a column).
        for statement in search.PG_EXPRESSION_DDL:
            bind.exec_driver_sql(statement)
    else:
        search.create(bind)


def downgrade() -> None:
    search.drop(op.get_bind())
    for name, _columns in reversed(_NEW):
        op.drop_index(name, table_name="tickets")
    op.drop_index("ix_tickets_requester", table_name="tickets")
    op.create_index("ix_tickets_requester", "tickets", ["requester_id"])
    op.drop_index("ix_tickets_status", table_name="tickets")
    op.create_index("ix_tickets_status", "tickets", ["status"])
