"""outbox: index (ticket_id, created_at) for the relay limit of a ticket

Each mail about a ticket counts that ticket's mail of the last hour (gateway.outgoing.relay);
without the index the count reads the whole outbox.

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-02 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_ticket_created", "outbox", ["ticket_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_ticket_created", table_name="outbox")
