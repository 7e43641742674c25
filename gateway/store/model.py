"""The database schema: spool, users, tickets, messages, attachments, events, ratings, outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
    literal,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, relationship

# fts_queue for its session listeners (the SQLite full-text rows written at commit):
# whatever writes tickets and messages imports the model first (search.index_ticket).
from gateway.store import fts_queue as fts_queue
from gateway.store import search
from gateway.store.formats import indicator as indicator_of
from gateway.store.types import UTCDateTime as UTCDateTime


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


NOT_SMTP = "source != 'smtp'"
# The rows `helpdesk purge` may still empty: processed (sent) mail whose raw bytes are kept.
# Queries must use these texts as they are, for SQLite to pick the partial indexes. The
# state is compared as an expression (`|| ''`) so that the planner cannot take the state
# indexes instead: "sent" or "done" is most of a table, which its estimates do not know.
PURGEABLE_INBOUND = (
    "state || '' IN ('done', 'ignored', 'duplicate', 'discarded') AND raw_dropped_at IS NULL"
)
PURGEABLE_OUTBOX = "state || '' IN ('sent', 'failed') AND length(raw) > 0"


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


class User(Base):
    """A person known by email: requesters are registered on their first mail."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="client")
    group: Mapped[str] = mapped_column(String(100), default="")
    locale: Mapped[str] = mapped_column(String(10), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The staff are read by role on every notice; requesters are the many other rows.
    __table_args__ = (Index("ix_users_role", "role"),)

    @property
    def is_agent(self) -> bool:
        return self.role in ("agent", "admin")

    @property
    def display(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(998), default="")
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(50), default="new")
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    criticality: Mapped[str] = mapped_column(String(50), default="low")
    category: Mapped[str] = mapped_column(String(100), default="")
    # Who wrote the last public message: "requester" or "agent" (the indicator).
    last_public_by: Mapped[str] = mapped_column(String(20), default="requester")
    source: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The SLA level and its due times; when the first answer and the resolution came
    # (resolved_at is cleared on reopening), for the SLA reports.
    sla_level: Mapped[str] = mapped_column(String(100), default="")
    response_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolve_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The closed ticket a late reply continued (this ticket was opened instead of reopening).
    linked_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # The SLA clock (gateway.desk.clock): the update clock after a later requester mail,
    # when the clocks stopped (a pausing status) and the business seconds stopped so far,
    # the first response and resolution in business seconds of the level, pauses left out.
    update_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    update_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sla_paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sla_paused_s: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    first_response_s: Mapped[int | None] = mapped_column(Integer)
    resolution_s: Mapped[int | None] = mapped_column(Integer)
    # A due time passed before its answer or resolution (counted by the reports).
    breached: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Flagged by an agent as extra work (#extra), highlighted in reports.
    extra: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The next warning or breach moment of the escalation job, and the milestones done
    # ("response:0.75", "resolve:breach"), each sent once.
    next_escalation_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    escalated: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # The label of the ticket's latest rating ("" unrated), kept by gateway.desk.actions.rate:
    # the report groups by it off its covering indexes instead of finding each ticket's
    # latest rating row.
    rating: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The ticket's public messages (hidden notes not), counted as each is stored: the
    # report's messages per resolution sums it off a covering index instead of joining
    # every resolved ticket to its messages.
    public_messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    requester: Mapped[User] = relationship(foreign_keys=[requester_id], lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    messages: Mapped[list[Message]] = relationship(
        back_populates="ticket", order_by="Message.id", lazy="select"
    )
    participants: Mapped[list[Participant]] = relationship(
        back_populates="ticket", lazy="select", cascade="all, delete-orphan"
    )

    # The listing's filters, newest first: each index ends with the id, so that a page
    # (ORDER BY id DESC LIMIT n) is read off the index without sorting the matches.
    __table_args__ = (
        Index("ix_tickets_status", "status", "id"),
        Index("ix_tickets_requester", "requester_id", "id"),
        Index("ix_tickets_assignee", "assignee_id", "id"),
        Index("ix_tickets_closed", "closed", "id"),
        # The indicator is (closed, last_public_by): green and red are read off this one.
        Index("ix_tickets_indicator", "closed", "last_public_by", "id"),
        Index("ix_tickets_category", "category", "id"),
        Index("ix_tickets_criticality", "criticality", "id"),
        # --open (or --closed) with another filter: the agents' everyday views. Without
        # them the page and its count walk one condition's index testing the other.
        Index("ix_tickets_open_criticality", "closed", "criticality", "id"),
        Index("ix_tickets_open_category", "closed", "category", "id"),
        Index("ix_tickets_open_assignee", "closed", "assignee_id", "id"),
        # A requester's other open tickets, on every new ticket's staff notice.
        Index("ix_tickets_open_requester", "closed", "requester_id", "id"),
        Index("ix_tickets_updated", "updated_at"),
        Index("ix_tickets_linked", "linked_ticket_id"),
        # The reports: tickets opened / resolved in a period.
        Index("ix_tickets_created_at", "created_at"),
        # Open at the end of a period: the tickets still open, found without a scan.
        Index("ix_tickets_closed_created", "closed", "created_at"),
        Index("ix_tickets_resolved_at", "resolved_at"),
        # The report reads a period off one of these and never the table rows: each carries
        # the group keys and the figures of its measures (opened / resolved in a period).
        Index(
            "ix_tickets_report_created",
            "created_at",
            "status",
            "assignee_id",
            "category",
            "criticality",
            "source",
            "extra",
            "first_response_s",
            "rating",
        ),
        Index(
            "ix_tickets_report_resolved",
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
            "rating",
            "public_messages",
        ),
        # Open at the end of a period: the open tickets (a tenth of the desk), keys and all.
        Index(
            "ix_tickets_report_open",
            "closed",
            "created_at",
            "status",
            "assignee_id",
            "category",
            "criticality",
            "source",
            "rating",
            sqlite_where=text("closed = 0"),
            postgresql_where=text("closed = false"),
        ),
        # The escalation check reads only the tickets whose next milestone is due.
        Index(
            "ix_tickets_next_escalation",
            "next_escalation_at",
            sqlite_where=text("next_escalation_at IS NOT NULL"),
            postgresql_where=text("next_escalation_at IS NOT NULL"),
        ),
    )

    def tag(self, prefix: str) -> str:
        return f"{prefix}-{self.id}"

    @property
    def indicator(self) -> str:
        return indicator_of(self.closed, self.last_public_by)


class Participant(Base):
    """A Cc participant of a ticket: gets the public answers, may reply."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    ticket: Mapped[Ticket] = relationship(back_populates="participants")
    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("ticket_id", "user_id"),)


class Message(Base):
    """One message of a ticket's conversation, incoming or outgoing.

    kind: request (the requester's or a participant's mail), answer (an agent's public
    reply), note (hidden), auto (automatic mail: bounces, auto-replies; hidden).
    """

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20), default="request")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str] = mapped_column(String(998), default="")
    # The new text of the mail, without quoted history and signature.
    body: Mapped[str] = mapped_column(Text, default="")
    quoted: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str] = mapped_column(Text, default="")
    # The whole text as received (plain, or HTML made text), and the sanitised HTML.
    full_text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    parse_problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship(lazy="joined")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", order_by="Attachment.id", lazy="selectin"
    )

    __table_args__ = (
        Index("ix_messages_ticket", "ticket_id"),
        # Messages per resolution: the public messages of a ticket counted off the index.
        Index("ix_messages_ticket_hidden", "ticket_id", "hidden"),
        # Tickets each agent answered in a period, off the index (answers only).
        Index(
            "ix_messages_answers",
            "created_at",
            "author_id",
            "ticket_id",
            "kind",
            sqlite_where=text("kind = 'answer'"),
            postgresql_where=text("kind = 'answer'"),
        ),
        # The reports: messages (answers, daily load) in a period.
        Index("ix_messages_created_at", "created_at"),
    )


class Rating(Base):
    """A requester's grade of the answers on a ticket: an index into `[[ratings]]`."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    grade: Mapped[int] = mapped_column(Integer)
    # The grade's label when it was given (the configured list may change later).
    label: Mapped[str] = mapped_column(String(200), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_ratings_ticket", "ticket_id"),
        Index("ix_ratings_at", "at"),
    )


class Blob(Base):
    """Attachment content, stored once per SHA-256 however many mails carry it."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    inline: Mapped[bool] = mapped_column(Boolean, default=False)
    content_id: Mapped[str] = mapped_column(String(998), default="")

    message: Mapped[Message] = relationship(back_populates="attachments")

    __table_args__ = (Index("ix_attachments_message", "message_id"),)


class MessageRef(Base):
    """A Message-ID seen or sent on a ticket: the key of In-Reply-To/References threading.

    `recipient_id` is set for mail the helpdesk sent, naming whom it went to. `private`
    marks a Message-ID a requester never saw (an agent's mail, a hidden note, a notice to
    agents): mail to requesters never names it in References or In-Reply-To.
    """

    __tablename__ = "message_refs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(998))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    outgoing: Mapped[bool] = mapped_column(Boolean, default=False)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_message_refs_mid", "message_id"),
        # A ticket's References are read for every mail about it.
        Index("ix_message_refs_ticket", "ticket_id", "id"),
    )


class Event(Base):
    """One change of a ticket, with its actor: the ticket's full history."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320), default="system")
    kind: Mapped[str] = mapped_column(String(50))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_events_ticket", "ticket_id"),
        # The reports count reopenings (and other kinds) in a period.
        Index("ix_events_kind_at", "kind", "at"),
    )


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


class KeyValue(Base):
    """Small persistent state: IMAP checkpoints, model versions, scheduler marks."""

    __tablename__ = "kv"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpamModelState(Base):
    """The spam model every process scores with: one row, its bytes and a changing stamp.

    `version` only grows (a reset too bumps it); `stamp` is new on every write, so a process
    whose cached copy learned in a transaction that was rolled back still sees a change.
    """

    __tablename__ = "spam_model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    stamp: Mapped[str] = mapped_column(String(32), default="")
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(320), default="")


class SpamLearning(Base):
    """Mail the spam model learned: an agent's correction, an answered ticket, a bootstrap.

    kind: correction (#spam, #ham, a release), answer (confirmed ham), confirm (held
    spam nobody released), train (`count` messages from `helpdesk spam train`), reset,
    rebuild (`count` messages learnt again into a model an upgrade left unreadable).
    """

    __tablename__ = "spam_learned"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    is_spam: Mapped[bool] = mapped_column(Boolean, default=False)
    inbound_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(320), default="system")
    count: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_spam_learned_kind_at", "kind", "at"),
        Index("ix_spam_learned_inbound", "inbound_id"),
    )


class DirectoryEntry(Base):
    """A person or an organisation the desk serves (gateway.directory): the client card.

    kind: person (key = e-mail address) or organisation (key = its name, lower case;
    `domains` are the mail domains whose people belong to it). `fields` holds department,
    phone, location, organisation, notes and any extra column; `secret` names the fields
    never put in mail.
    """

    __tablename__ = "directory"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="person")
    key: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    licences: Mapped[list[str]] = mapped_column(JSON, default=list)
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(320), default="")

    __table_args__ = (UniqueConstraint("kind", "key", name="uq_directory_kind_key"),)


class TextExample(Base):
    """A ticket's text kept for the similarity indexes (gateway.similar): a solved ticket
    with its closing answer (index "solved"), or a ticket whose category an agent set
    (index "category", label = the category). A process loads rows by id, incrementally;
    a ticket closed again gets a new row (the old one is deleted)."""

    __tablename__ = "text_examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    index: Mapped[str] = mapped_column(String(20))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    label: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("index", "ticket_id", name="uq_text_examples_index_ticket"),
        Index("ix_text_examples_index_id", "index", "id"),
    )


@event.listens_for(Base.metadata, "after_create")
def _search_structures(_target: object, connection: Any, **_: object) -> None:
    """A schema made from the models (not by the migrations) gets its full-text search too."""
    search.create(connection)
