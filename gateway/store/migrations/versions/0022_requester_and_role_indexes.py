"""tickets: open tickets by requester; users: by role

Every new ticket's staff notice carries the requester's other open tickets
(gateway.directory.card). With no index holding both conditions SQLite walked every open
ticket newest first testing the requester (12 ms a ticket at 100k tickets, growing with
the desk), and a requester with fewer than five other open tickets cost the whole walk.
The staff of a notice are read by role: without an index that read every requester.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 07:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_tickets_open_requester": ("tickets", ["closed", "requester_id", "id"]),
    "ix_users_role": ("users", ["role"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in reversed(INDEXES.items()):
        op.drop_index(name, table_name=table)
