"""directory (client cards) and text examples (similar solved tickets, learnt categories)

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-02 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.store.model import UTCDateTime

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("equipment", sa.JSON, nullable=False),
        sa.Column("licences", sa.JSON, nullable=False),
        sa.Column("domains", sa.JSON, nullable=False),
        sa.Column("secret", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=False),
        sa.UniqueConstraint("kind", "key", name="uq_directory_kind_key"),
    )
    op.create_table(
        "text_examples",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("index", sa.String(20), nullable=False),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("index", "ticket_id", name="uq_text_examples_index_ticket"),
    )
    op.create_index("ix_text_examples_index_id", "text_examples", ["index", "id"])


def downgrade() -> None:
    op.drop_index("ix_text_examples_index_id", table_name="text_examples")
    op.drop_table("text_examples")
    op.drop_table("directory")
