"""tickets: the open/closed flag combined with criticality, category and assignee

`tickets list --open --criticality critical` walked every critical ticket (or every open
one) to find and count the open critical ones: the two conditions had no index in
common. These indexes end with the id, as the others of the listing do, so that a page
and its count are read off one index range whatever the desk's size.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 16:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_tickets_open_criticality": ["closed", "criticality", "id"],
    "ix_tickets_open_category": ["closed", "category", "id"],
    "ix_tickets_open_assignee": ["closed", "assignee_id", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "tickets", columns)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="tickets")
