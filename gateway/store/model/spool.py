"""The spool: each received message's row (where its processing stands) and its raw bytes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    literal,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column

from gateway.store.model.base import Base, utcnow
from gateway.store.types import UTCDateTime

NOT_SMTP = "source != 'smtp'"
# The rows `helpdesk purge` may still empty: processed (sent) mail whose raw bytes are kept.
# Queries must use these texts as they are, for SQLite to pick the partial indexes. The
# state is compared as an expression (`|| ''`) so that the planner cannot take the state
# indexes instead: "sent" or "done" is most of a table, which its estimates do not know.
PURGEABLE_INBOUND = (
    "state || '' IN ('done', 'ignored', 'duplicate', 'discarded') AND raw_dropped_at IS NULL"
)


class InboundRaw(Base):
    """The raw bytes of a received message, written once when it is accepted.

    Apart from its spool row, so that the row's state and trace updates never rewrite
    (nor copy into the WAL) a message of many megabytes: on SQLite an UPDATE writes the
    whole record, overflow pages included, and holds the write lock while it does.
    `helpdesk purge` deletes the row; nothing else writes it after the insert.
    """

    __tablename__ = "inbound_raw"

    inbound_id: Mapped[int] = mapped_column(
        ForeignKey("inbound.id", ondelete="CASCADE"), primary_key=True
    )
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class Inbound(Base):
    """A received message: where its processing stands; its raw bytes are `InboundRaw`.

    state: new -> done | ignored | duplicate | quarantined (a handler raised) | held (spam).
    """

    __tablename__ = "inbound"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(200))
    mail_from: Mapped[str] = mapped_column(String(998), default="")
    rcpt_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Read-only: the bytes of `InboundRaw` (empty once purged). Loaded with the row as
    # before; never part of the row's UPDATEs.
    raw: Mapped[bytes] = column_property(
        type_coerce(
            func.coalesce(
                select(InboundRaw.raw)
                .where(InboundRaw.inbound_id == id)
                .correlate_except(InboundRaw)
                .scalar_subquery(),
                literal(b"", LargeBinary),
            ),
            LargeBinary,
        ),
        expire_on_flush=False,
    )
    state: Mapped[str] = mapped_column(String(20), default="new")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str | None] = mapped_column(String(998))
    dedupe_key: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str | None] = mapped_column(String(50))
    error: Mapped[str | None] = mapped_column(Text)
    trace: Mapped[list[str]] = mapped_column(JSON, default=list)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Where it came from within its source (IMAP mailbox name and UID, for instance).
    origin: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # When `helpdesk purge` dropped the raw bytes (NULL: kept).
    raw_dropped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_inbound_state_id", "state", "id"),
        # Partial: the key is set when a message is processed, and an entry for the NULL
        # of each new row would cost the SMTP hot path one more page per commit.
        Index(
            "ix_inbound_dedupe",
            "dedupe_key",
            sqlite_where=text("dedupe_key IS NOT NULL"),
            postgresql_where=text("dedupe_key IS NOT NULL"),
        ),
        # IMAP: has this mailbox's content been stored before (after a UIDVALIDITY change)?
        # SMTP rows are never looked up so, and are left out (NOT_SMTP must appear in the
        # query word for word for SQLite to use the index).
        Index(
            "ix_inbound_source_sha256",
            "source",
            "sha256",
            sqlite_where=text(NOT_SMTP),
            postgresql_where=text(NOT_SMTP),
        ),
        # `helpdesk purge`: processed mail by age, only while its raw bytes are kept.
        Index(
            "ix_inbound_purgeable",
            "received_at",
            sqlite_where=text(PURGEABLE_INBOUND),
            postgresql_where=text(PURGEABLE_INBOUND),
        ),
    )
