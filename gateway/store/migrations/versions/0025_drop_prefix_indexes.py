"""tickets, messages: drop the indexes another index's leading columns already hold

`ix_tickets_created_at` (created_at) and `ix_tickets_resolved_at` (resolved_at) are the
first column of the report's covering indexes (`ix_tickets_report_created`,
`ix_tickets_report_resolved`), and `ix_messages_ticket` (ticket_id) that of
`ix_messages_ticket_hidden` (ticket_id, hidden). None is UNIQUE, and no statement needs
what only they give: of the runner's, the listings', the reports', `tickets show`'s,
`purge`'s and `status`'s 2,757 statements on a 100k-ticket desk, the EXPLAIN QUERY PLAN
of 10 changed without them: the count of all tickets and the text search's message range
take another small index, the report's extra-work list the covering one (in the same
order, testing `extra` off the index), and `tickets show` sorts one ticket's messages by
id. Every new ticket wrote all three, and every message the third.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_tickets_created_at": ("tickets", ["created_at"]),
    "ix_tickets_resolved_at": ("tickets", ["resolved_at"]),
    "ix_messages_ticket": ("messages", ["ticket_id"]),
}


def upgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, (table, columns) in reversed(INDEXES.items()):
        op.create_index(name, table, columns)
