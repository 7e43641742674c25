"""inbound, outbox: partial indexes on the age of the raw mail `helpdesk purge` may drop

`purge --raw-older-than` filtered on received_at/created_at, which no index covered, so
each batch read the whole table. The indexes hold only the rows purge could still empty
(processed or sent, raw bytes kept): a row enters when it is processed or sent (never on
the SMTP intake path, which inserts state "new"/"queued") and leaves when purged, so a
run reads what it drops.

Revision ID: 0015
Revises: 0007
Create Date: 2026-12-02 14:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Word for word the model's PURGEABLE_INBOUND and PURGEABLE_OUTBOX (SQLite matches the
# query's terms to the index's by their text).
_INBOUND = sa.text(
    "state || '' IN ('done', 'ignored', 'duplicate', 'discarded') AND length(raw) > 0"
)
_OUTBOX = sa.text("state || '' IN ('sent', 'failed') AND length(raw) > 0")


def upgrade() -> None:
    op.create_index(
        "ix_inbound_purgeable",
        "inbound",
        ["received_at"],
        sqlite_where=_INBOUND,
        postgresql_where=_INBOUND,
    )
    op.create_index(
        "ix_outbox_purgeable",
        "outbox",
        ["created_at"],
        sqlite_where=_OUTBOX,
        postgresql_where=_OUTBOX,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_purgeable", table_name="outbox")
    op.drop_index("ix_inbound_purgeable", table_name="inbound")
