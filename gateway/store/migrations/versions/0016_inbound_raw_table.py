"""inbound_raw: the raw bytes of received mail in a table of their own

Every state or trace update of a spool row rewrote its whole record, the raw message
included: on SQLite the 10 MB of an HTML bomb went through the WAL again when its
processing ended, holding the write lock (and every SMTP commit behind it) for seconds.
The bytes now live in `inbound_raw`, inserted once at acceptance and never updated; the
spool row is small. `helpdesk purge` deletes the raw row and records when in
`inbound.raw_dropped_at` (the purgeable index's condition, which used `length(raw)`).

Existing rows are moved: a row whose raw bytes were already purged (empty, of a size
above 0) gets no `inbound_raw` row and its processing time as `raw_dropped_at`.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.store.model import UTCDateTime

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Word for word the model's PURGEABLE_INBOUND, before and after.
_OLD_PURGEABLE = sa.text(
    "state || '' IN ('done', 'ignored', 'duplicate', 'discarded') AND length(raw) > 0"
)
_NEW_PURGEABLE = sa.text(
    "state || '' IN ('done', 'ignored', 'duplicate', 'discarded') AND raw_dropped_at IS NULL"
)


def upgrade() -> None:
    op.create_table(
        "inbound_raw",
        sa.Column("inbound_id", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["inbound_id"], ["inbound.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("inbound_id"),
    )
    op.execute(
        "INSERT INTO inbound_raw (inbound_id, raw) "
        "SELECT id, raw FROM inbound WHERE length(raw) > 0 OR size = 0"
    )
    op.drop_index("ix_inbound_purgeable", table_name="inbound")
    with op.batch_alter_table("inbound") as batch:
        batch.add_column(sa.Column("raw_dropped_at", UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE inbound SET raw_dropped_at = COALESCE(processed_at, received_at) "
        "WHERE length(raw) = 0 AND size > 0"
    )
    with op.batch_alter_table("inbound") as batch:
        batch.drop_column("raw")
    op.create_index(
        "ix_inbound_purgeable",
        "inbound",
        ["received_at"],
        sqlite_where=_NEW_PURGEABLE,
        postgresql_where=_NEW_PURGEABLE,
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_purgeable", table_name="inbound")
    # An empty blob, not the text '' (which SQLite would store as TEXT).
    empty = "X''" if op.get_bind().dialect.name == "sqlite" else "''::bytea"
    with op.batch_alter_table("inbound") as batch:
        batch.add_column(
            sa.Column("raw", sa.LargeBinary(), nullable=False, server_default=sa.text(empty))
        )
    op.execute(
        "UPDATE inbound SET raw = "
        "(SELECT r.raw FROM inbound_raw r WHERE r.inbound_id = inbound.id) "
        "WHERE id IN (SELECT inbound_id FROM inbound_raw)"
    )
    with op.batch_alter_table("inbound") as batch:
        batch.alter_column("raw", server_default=None)
        batch.drop_column("raw_dropped_at")
    op.drop_table("inbound_raw")
    op.create_index(
        "ix_inbound_purgeable",
        "inbound",
        ["received_at"],
        sqlite_where=_OLD_PURGEABLE,
        postgresql_where=_OLD_PURGEABLE,
    )
