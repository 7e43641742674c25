"""A ticket's history beside its messages: the Message-IDs that thread replies to it, its
events and its ratings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.model.base import Base, utcnow
from gateway.store.types import UTCDateTime


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
