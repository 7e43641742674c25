"""spool: partial indexes, so that SMTP intake writes fewer pages per message

A message gets its dedupe key when it is processed, and only IMAP rows are ever looked up
by (source, sha256); indexing every newly spooled SMTP row in both made each acknowledged
message write two more index pages before its 250.

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

_DEDUPE = sa.text("dedupe_key IS NOT NULL")
_NOT_SMTP = sa.text("source != 'smtp'")


def upgrade() -> None:
    op.drop_index("ix_inbound_dedupe", table_name="inbound")
    op.create_index(
        "ix_inbound_dedupe",
        "inbound",
        ["dedupe_key"],
        sqlite_where=_DEDUPE,
        postgresql_where=_DEDUPE,
    )
    op.drop_index("ix_inbound_source_sha256", table_name="inbound")
    op.create_index(
        "ix_inbound_source_sha256",
        "inbound",
        ["source", "sha256"],
        sqlite_where=_NOT_SMTP,
        postgresql_where=_NOT_SMTP,
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_dedupe", table_name="inbound")
    op.create_index("ix_inbound_dedupe", "inbound", ["dedupe_key"])
    op.drop_index("ix_inbound_source_sha256", table_name="inbound")
    op.create_index("ix_inbound_source_sha256", "inbound", ["source", "sha256"])
