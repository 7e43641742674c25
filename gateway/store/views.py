"""The ticket list's filters as SQL conditions, and tickets by reference (ORM)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, ScalarSelect, Select, or_, select
from sqlalchemy.orm import Session

from gateway.store import search
from gateway.store.columns import TICKET_COLUMNS as TICKET_COLUMNS
from gateway.store.model import Message, Ticket, User
from gateway.store.types import iso as iso
from gateway.store.types import ticket_id


@dataclass
class TicketFilter:
    id: int | None = None
    status: str | None = None
    open: bool | None = None
    indicator: str | None = None
    title: str | None = None
    text: str | None = None
    requester: str | None = None
    assignee: str | None = None
    category: str | None = None
    criticality: str | None = None
    updated_since: dt.datetime | None = None
    # Only tickets older (lower id) than this one: the cursor of the next page.
    before: int | None = None
    # Only the tickets flagged as extra work (#extra).
    extra: bool = False


def conditions(f: TicketFilter, dialect: str) -> list[ColumnElement[bool]]:
    """The filter as SQL conditions on `tickets`, each served by an index (see the model)."""
    where: list[ColumnElement[bool]] = []
    if f.id is not None:
        where.append(Ticket.id == f.id)
    if f.status:
        where.append(Ticket.status == f.status)
    if f.open is not None:
        where.append(Ticket.closed.is_(not f.open))
    if f.indicator == "grey":
        where.append(Ticket.closed.is_(True))
    elif f.indicator in ("green", "red"):
        who = "requester" if f.indicator == "green" else "agent"
        where += [Ticket.closed.is_(False), Ticket.last_public_by == who]
    if f.title:
        where.append(_title(f.title, dialect, "q_title"))
    either = search.matching_subject_or_messages(dialect, f.text) if f.text else None
    if either is not None:
        where.append(either)
    elif f.text:
        in_messages = search.matching(dialect, "messages", f.text)
        if in_messages is None:
            in_messages = Ticket.id.in_(
                select(Message.ticket_id).where(search.like(Message.full_text, f.text))
            )
        where.append(or_(_title(f.text, dialect, "q_text_subject"), in_messages))
    # One user by email, as a scalar subquery: the tickets are then found on their index.
    if f.requester:
        where.append(Ticket.requester_id == _user_id(f.requester))
    if f.assignee:
        where.append(Ticket.assignee_id == _user_id(f.assignee))
    if f.category:
        where.append(Ticket.category == f.category)
    if f.criticality:
        where.append(Ticket.criticality == f.criticality)
    if f.updated_since is not None:
        where.append(Ticket.updated_at >= f.updated_since)
    if f.before is not None:
        where.append(Ticket.id < f.before)
    if f.extra:
        where.append(Ticket.extra.is_(True))
    return where


def _title(query: str, dialect: str, name: str) -> ColumnElement[bool]:
    found = search.matching(dialect, "tickets", query, name)
    return found if found is not None else search.like(Ticket.subject, query)


def _user_id(email: str) -> ScalarSelect[int]:
    return select(User.id).where(User.email == email.strip().lower()).scalar_subquery()


def ticket_query(session: Session, f: TicketFilter) -> Select[Ticket]:
    """The matching tickets as ORM objects, newest first."""
    where = conditions(f, session.get_bind().dialect.name)
    return select(Ticket).where(*where).order_by(Ticket.id.desc())


def resolve_ticket(session: Session, ref: str, prefix: str) -> Ticket | None:
    """A ticket by id (`17`) or tag (`HD-17`, any case)."""
    wanted = ticket_id(ref, prefix)
    return None if wanted is None else session.get(Ticket, wanted)
