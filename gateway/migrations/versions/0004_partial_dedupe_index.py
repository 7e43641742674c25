"""spool: the dedupe index holds processed messages only

A message gets its dedupe key when it is processed; indexing the NULL of every newly
spooled row made each acknowledged message write one more index page before its 250.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 08:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = sa.text("dedupe_key IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_inbound_dedupe", table_name="inbound")
    op.create_index(
        "ix_inbound_dedupe",
        "inbound",
        ["dedupe_key"],
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_dedupe", table_name="inbound")
    op.create_index("ix_inbound_dedupe", "inbound", ["dedupe_key"])
