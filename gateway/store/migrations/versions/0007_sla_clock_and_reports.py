"""desk under control: SLA clock columns, escalation marks, extra work, report indexes

The SLA clock keeps its pauses and the business durations on the ticket, so that reports
aggregate plain columns in SQL; the escalation job reads only tickets whose next milestone
is due (a partial index); reports select tickets by opening and resolution time and count
events by kind and time.

Revision ID: 0007
Revises: 0009
Create Date: 2026-12-02 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.store.model import UTCDateTime

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DUE = sa.text("next_escalation_at IS NOT NULL")
_COLUMNS = (
    "update_started_at",
    "update_due_at",
    "sla_paused_at",
    "sla_paused_s",
    "first_response_s",
    "resolution_s",
    "breached",
    "extra",
    "next_escalation_at",
    "escalated",
)


def upgrade() -> None:
    op.add_column("tickets", sa.Column("update_started_at", UTCDateTime(), nullable=True))
    op.add_column("tickets", sa.Column("update_due_at", UTCDateTime(), nullable=True))
    op.add_column("tickets", sa.Column("sla_paused_at", UTCDateTime(), nullable=True))
    op.add_column(
        "tickets", sa.Column("sla_paused_s", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("tickets", sa.Column("first_response_s", sa.Integer(), nullable=True))
    op.add_column("tickets", sa.Column("resolution_s", sa.Integer(), nullable=True))
    op.add_column(
        "tickets", sa.Column("breached", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column(
        "tickets", sa.Column("extra", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("tickets", sa.Column("next_escalation_at", UTCDateTime(), nullable=True))
    op.add_column("tickets", sa.Column("escalated", sa.JSON(), nullable=False, server_default="[]"))
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    op.create_index("ix_tickets_resolved_at", "tickets", ["resolved_at"])
    op.create_index("ix_tickets_closed_created", "tickets", ["closed", "created_at"])
    op.create_index("ix_messages_created_at", "messages", ["created_at"])
    op.create_index("ix_ratings_at", "ratings", ["at"])
    op.create_index(
        "ix_tickets_next_escalation",
        "tickets",
        ["next_escalation_at"],
        sqlite_where=_DUE,
        postgresql_where=_DUE,
    )
    op.create_index("ix_events_kind_at", "events", ["kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_events_kind_at", table_name="events")
    op.drop_index("ix_ratings_at", table_name="ratings")
    op.drop_index("ix_messages_created_at", table_name="messages")
    op.drop_index("ix_tickets_closed_created", table_name="tickets")
    op.drop_index("ix_tickets_next_escalation", table_name="tickets")
    op.drop_index("ix_tickets_resolved_at", table_name="tickets")
    op.drop_index("ix_tickets_created_at", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        for name in _COLUMNS:
            batch.drop_column(name)
