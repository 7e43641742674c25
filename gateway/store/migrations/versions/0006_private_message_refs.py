"""message_refs: which Message-IDs a requester may see, and an index by ticket

Mail to a requester must not name in References the Message-IDs of hidden notes, of agents'
own mail or of notices to agents; `private` marks those. Existing rows stay public, as
they were threaded before. Every mail about a ticket reads the ticket's refs: indexed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN with a constant default: no table rebuild on SQLite.
    op.add_column(
        "message_refs",
        sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index("ix_message_refs_ticket", "message_refs", ["ticket_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_message_refs_ticket", table_name="message_refs")
    with op.batch_alter_table("message_refs", schema=None) as batch_op:
        batch_op.drop_column("private")
