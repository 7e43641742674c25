"""The desk's state beside the tickets: settings kept as key/values, the spam model and its
learning log, the directory's entries, the similar-ticket examples."""

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
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.model.base import Base, utcnow
from gateway.store.types import UTCDateTime


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
