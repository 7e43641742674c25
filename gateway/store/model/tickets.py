"""People and tickets: the users known by email, the tickets, their Cc participants, their
messages and the messages' attachments."""

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
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.store.formats import indicator as indicator_of
from gateway.store.model.base import Base, utcnow
from gateway.store.types import UTCDateTime


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
