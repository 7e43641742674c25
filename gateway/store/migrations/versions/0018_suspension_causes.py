"""suspensions: since when, why (hard bounce, soft bounces, complaint), which bounce

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.store.model import UTCDateTime

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The reasons a single bounce suspends for (gateway.bounces.reasons.HARD), as they were
# when suspensions had no cause of their own.
_HARD = ("userunknown", "hostunknown", "hasmoved")


def upgrade() -> None:
    # Plain ADD COLUMNs: no batch rebuild of the table on SQLite. `bounce_id` names a row of
    # `bounces` without a constraint, as adding one would need that rebuild.
    op.add_column("suspensions", sa.Column("suspended_at", UTCDateTime(), nullable=True))
    op.add_column(
        "suspensions", sa.Column("cause", sa.String(20), nullable=False, server_default="")
    )
    op.add_column("suspensions", sa.Column("bounce_id", sa.Integer, nullable=True))
    op.create_index("ix_suspensions_suspended", "suspensions", ["suspended", "suspended_at"])
    # Suspensions from before: since their last change, the cause their reason implies,
    # the latest bounce of the address.
    held = sa.table(
        "suspensions",
        sa.column("email", sa.String),
        sa.column("suspended", sa.Boolean),
        sa.column("reason", sa.String),
        sa.column("updated_at", UTCDateTime()),
        sa.column("suspended_at", UTCDateTime()),
        sa.column("cause", sa.String),
        sa.column("bounce_id", sa.Integer),
    )
    bounces = sa.table("bounces", sa.column("id", sa.Integer), sa.column("recipient", sa.String))
    latest = (
        sa.select(sa.func.max(bounces.c.id))
        .where(bounces.c.recipient == held.c.email)
        .scalar_subquery()
    )
    op.execute(
        held.update()
        .where(held.c.suspended.is_(True))
        .values(
            suspended_at=held.c.updated_at,
            cause=sa.case((held.c.reason.in_(_HARD), "hard"), else_="soft"),
            bounce_id=latest,
        )
    )


def downgrade() -> None:
    op.drop_index("ix_suspensions_suspended", table_name="suspensions")
    with op.batch_alter_table("suspensions") as batch:
        batch.drop_column("bounce_id")
        batch.drop_column("cause")
        batch.drop_column("suspended_at")
