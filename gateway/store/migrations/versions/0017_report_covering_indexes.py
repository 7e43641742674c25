"""tickets, messages: covering indexes the report reads instead of the table rows

The report's measures select the tickets opened (created_at) or resolved (resolved_at) in
a period. With only the time column indexed, every row of the range cost a lookup of the
table row for its group key and figures: at a million tickets the whole period read the
table a row at a time (48.7 s). These indexes carry every column the measures read, so
a period costs a range of one index; the messages per resolution count public messages
off (ticket_id, hidden) without the message rows. The old single-column time indexes
stay: the listing and purge plans use them. Two partial ones: the open tickets with their
keys (open at the end of a period) and the answers (tickets each agent answered).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Word for word the model's columns (tests/test_schema.py compares the two).
CREATED = [
    "created_at",
    "status",
    "assignee_id",
    "category",
    "criticality",
    "source",
    "extra",
    "first_response_s",
]
RESOLVED = [
    "resolved_at",
    "status",
    "assignee_id",
    "category",
    "criticality",
    "source",
    "created_at",
    "breached",
    "sla_level",
    "resolution_s",
]


OPEN = ["closed", "created_at", "status", "assignee_id", "category", "criticality", "source"]


def upgrade() -> None:
    op.create_index("ix_tickets_report_created", "tickets", CREATED)
    op.create_index("ix_tickets_report_resolved", "tickets", RESOLVED)
    op.create_index(
        "ix_tickets_report_open",
        "tickets",
        OPEN,
        sqlite_where=sa.text("closed = 0"),
        postgresql_where=sa.text("closed = false"),
    )
    op.create_index("ix_messages_ticket_hidden", "messages", ["ticket_id", "hidden"])
    op.create_index(
        "ix_messages_answers",
        "messages",
        ["created_at", "author_id", "ticket_id", "kind"],
        sqlite_where=sa.text("kind = 'answer'"),
        postgresql_where=sa.text("kind = 'answer'"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_answers", table_name="messages")
    op.drop_index("ix_tickets_report_open", table_name="tickets")
    op.drop_index("ix_messages_ticket_hidden", table_name="messages")
    op.drop_index("ix_tickets_report_resolved", table_name="tickets")
    op.drop_index("ix_tickets_report_created", table_name="tickets")
