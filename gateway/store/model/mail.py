"""Outgoing mail and what it met: the outbox, bounces, suspended recipients, the auto-reply
log that keeps loops in check."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.model.base import Base, utcnow
from gateway.store.types import UTCDateTime

PURGEABLE_OUTBOX = "state || '' IN ('sent', 'failed') AND length(raw) > 0"


class Outbox(Base):
    """An outgoing mail, written in the transaction of the change that caused it.

    state: queued -> sent | failed (5xx or retries exhausted) | bounced (a report came
    back); held (an answer that would disclose a hidden note, or a second agent's answer;
    `last_reply` says why) -> queued when released; `suppressed` rows were never sent (the
    reason in `last_reply`).
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(50))
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[list[str]] = mapped_column(JSON)
    message_id: Mapped[str] = mapped_column(String(998))
    subject: Mapped[str] = mapped_column(String(998), default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    automatic: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_reply: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The received message whose processing queued this mail (None for jobs and the CLI).
    inbound_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_outbox_state_next", "state", "next_attempt_at"),
        Index("ix_outbox_inbound", "inbound_id"),
        Index("ix_outbox_rcpt_created", "kind", "created_at"),
        # A bounce names our mail by its Message-ID (quoted, or in the VERP return path).
        Index("ix_outbox_message_id", "message_id"),
        # The relay limit counts a ticket's mail of the last hour (gateway.outgoing.relay).
        Index("ix_outbox_ticket_created", "ticket_id", "created_at"),
        # `helpdesk purge`: sent or failed mail by age, only while its raw bytes are kept.
        Index(
            "ix_outbox_purgeable",
            "created_at",
            sqlite_where=text(PURGEABLE_OUTBOX),
            postgresql_where=text(PURGEABLE_OUTBOX),
        ),
    )


class Bounce(Base):
    """What a received bounce, complaint or auto-reply says: one row per failed recipient.

    `outbox_id` is our mail it reports on, when it could be matched.
    """

    __tablename__ = "bounces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    recipient: Mapped[str] = mapped_column(String(320), default="")
    status: Mapped[str] = mapped_column(String(20), default="")
    reason: Mapped[str] = mapped_column(String(40), default="")
    hard: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_bounces_inbound", "inbound_id"),)


class Suspension(Base):
    """An address automatic mail no longer goes to after bounces or a complaint
    (`helpdesk users suspended` lists them, `helpdesk users unsuspend` lifts one).

    A hard bounce suspends at once; soft ones after `[bounces] soft_limit` in a row; a
    complaint (ARF feedback report) about our mail to the address at once. `cause` is
    "hard", "soft" or "complaint"; `bounce_id` the row of `bounces` that suspended it (no
    constraint: the bounce may have been purged since).
    """

    __tablename__ = "suspensions"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    soft_count: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(20), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    suspended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cause: Mapped[str] = mapped_column(String(20), default="", server_default="")
    bounce_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    # `helpdesk users suspended`: the suspended ones by date, not a scan of every address
    # that ever bounced once.
    __table_args__ = (Index("ix_suspensions_suspended", "suspended", "suspended_at"),)


class AutoReplyLog(Base):
    """One automatic mail to one address: the base of the per-address daily limit."""

    __tablename__ = "auto_reply_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(320))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_auto_reply_log_addr_at", "address", "at"),)
