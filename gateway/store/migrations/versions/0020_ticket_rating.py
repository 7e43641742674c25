"""tickets.rating: the latest grade's label, carried by the report's covering indexes

`helpdesk report --by rating` grouped every ticket of the period by its latest rating,
found by a correlated subquery per ticket (the latest row of ratings): at a million
tickets the whole period took 10 s, most of it in those lookups. The label now lives on
the ticket (kept by gateway.desk.actions.rate) and in the three covering indexes, so the
grouping costs what any other does. Existing tickets get their latest rating's label.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The covering indexes of 0017, word for word, and the same with the rating at the end
# (tests/test_schema.py compares the result with the models).
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
_OPEN_SQLITE = sa.text("closed = 0")
_OPEN_PG = sa.text("closed = false")

# Each ticket's latest rating (the highest id): one index range of ix_ratings_ticket each.
_BACKFILL = """
UPDATE tickets SET rating = (
    SELECT r.label FROM ratings r WHERE r.ticket_id = tickets.id ORDER BY r.id DESC LIMIT 1
)
WHERE id IN (SELECT ticket_id FROM ratings)
"""


def _covering(extra: list[str]) -> None:
    op.create_index("ix_tickets_report_created", "tickets", CREATED + extra)
    op.create_index("ix_tickets_report_resolved", "tickets", RESOLVED + extra)
    op.create_index(
        "ix_tickets_report_open",
        "tickets",
        OPEN + extra,
        sqlite_where=_OPEN_SQLITE,
        postgresql_where=_OPEN_PG,
    )


def _drop_covering() -> None:
    for name in (
        "ix_tickets_report_open",
        "ix_tickets_report_resolved",
        "ix_tickets_report_created",
    ):
        op.drop_index(name, table_name="tickets")


def upgrade() -> None:
    op.add_column("tickets", sa.Column("rating", sa.String(200), nullable=False, server_default=""))
    op.execute(_BACKFILL)
    _drop_covering()
    _covering(["rating"])


def downgrade() -> None:
    _drop_covering()
    _covering([])
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("rating")
