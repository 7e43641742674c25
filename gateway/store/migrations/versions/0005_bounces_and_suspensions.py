"""bounces: what received bounces say, suspended addresses; outbox by Message-ID and inbound

Revision ID: 0005
Revises: 0008
Create Date: 2026-12-02 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.store.model import UTCDateTime

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: no batch rebuild of outbox is needed on SQLite.
    op.add_column("outbox", sa.Column("inbound_id", sa.Integer, nullable=True))
    op.create_index("ix_outbox_inbound", "outbox", ["inbound_id"])
    op.create_index("ix_outbox_message_id", "outbox", ["message_id"])
    op.create_table(
        "bounces",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("inbound_id", sa.Integer, sa.ForeignKey("inbound.id"), nullable=False),
        sa.Column("outbox_id", sa.Integer, sa.ForeignKey("outbox.id"), nullable=True),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("hard", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_bounces_inbound", "bounces", ["inbound_id"])
    op.create_table(
        "suspensions",
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("suspended", sa.Boolean, nullable=False),
        sa.Column("soft_count", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("suspensions")
    op.drop_index("ix_bounces_inbound", table_name="bounces")
    op.drop_table("bounces")
    op.drop_index("ix_outbox_message_id", table_name="outbox")
    op.drop_index("ix_outbox_inbound", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("inbound_id")
