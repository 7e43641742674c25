"""Tickets as the CLI (and SPEC's JSON) shows them, and the ticket list filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, or_, select
from sqlalchemy.orm import Session

from gateway.store import search
from gateway.store.model import Event, Message, Rating, Ticket, User

TICKET_COLUMNS = (
    "id",
    "tag",
    "status",
    "indicator",
    "criticality",
    "category",
    "requester",
    "assignee",
    "subject",
    "messages",
    "updated_at",
)


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as SPEC's JSON wants."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


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
        where.append(_title(f.title, dialect))
    if f.text:
        in_messages = search.matching(dialect, "messages", f.text)
        if in_messages is None:
            in_messages = Ticket.id.in_(
                select(Message.ticket_id).where(search.like(Message.full_text, f.text))
            )
        where.append(or_(_title(f.text, dialect), in_messages))
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


def _title(query: str, dialect: str) -> ColumnElement[bool]:
    found = search.matching(dialect, "tickets", query)
    return found if found is not None else search.like(Ticket.subject, query)


def _user_id(email: str) -> ScalarSelect[int]:
    return select(User.id).where(User.email == email.strip().lower()).scalar_subquery()


def ticket_query(session: Session, f: TicketFilter) -> Select[Ticket]:
    """The matching tickets as ORM objects, newest first."""
    where = conditions(f, session.get_bind().dialect.name)
    return select(Ticket).where(*where).order_by(Ticket.id.desc())


def ticket_dict(ticket: Ticket, prefix: str, messages: int) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "tag": ticket.tag(prefix),
        "subject": ticket.subject,
        "status": ticket.status,
        "closed": ticket.closed,
        "criticality": ticket.criticality,
        "category": ticket.category,
        "extra": ticket.extra,
        "breached": ticket.breached,
        "requester": ticket.requester.email,
        "assignee": ticket.assignee.email if ticket.assignee else None,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "messages": messages,
        "indicator": ticket.indicator,
    }


def ticket_detail(session: Session, ticket: Ticket, prefix: str, history: bool) -> dict[str, Any]:
    messages = list(
        session.scalars(select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id))
    )
    data = ticket_dict(ticket, prefix, len(messages))
    data["messages"] = [
        {
            "from": m.author.email if m.author else None,
            "kind": m.kind,
            "hidden": m.hidden,
            "created_at": iso(m.created_at),
            "body": m.body,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                for a in m.attachments
            ],
        }
        for m in messages
    ]
    data["message_count"] = len(messages)
    data["participants"] = [p.user.email for p in ticket.participants]
    data.update(_desk_detail(session, ticket, prefix))
    if history:
        events = session.scalars(
            select(Event).where(Event.ticket_id == ticket.id).order_by(Event.id)
        )
        data["events"] = [
            {"at": iso(e.at), "actor": e.actor, "kind": e.kind, "old": e.old, "new": e.new}
            for e in events
        ]
    return data


def _desk_detail(session: Session, ticket: Ticket, prefix: str) -> dict[str, Any]:
    """SLA level and times, linked tickets and ratings (gateway.desk)."""
    continued_by = session.scalars(
        select(Ticket.id).where(Ticket.linked_ticket_id == ticket.id).order_by(Ticket.id)
    )
    ratings = session.scalars(
        select(Rating).where(Rating.ticket_id == ticket.id).order_by(Rating.id)
    )
    return {
        "sla_level": ticket.sla_level or None,
        "response_due_at": iso(ticket.response_due_at),
        "resolve_due_at": iso(ticket.resolve_due_at),
        "first_response_at": iso(ticket.first_response_at),
        "resolved_at": iso(ticket.resolved_at),
        "linked_to": f"{prefix}-{ticket.linked_ticket_id}" if ticket.linked_ticket_id else None,
        "continued_by": [f"{prefix}-{i}" for i in continued_by],
        "ratings": [
            {"at": iso(r.at), "grade": r.grade, "label": r.label, "comment": r.comment}
            for r in ratings
        ],
    }


def resolve_ticket(session: Session, ref: str, prefix: str) -> Ticket | None:
    """A ticket by id (`17`) or tag (`HD-17`, any case)."""
    ref = ref.strip()
    if ref.upper().startswith(prefix.upper() + "-"):
        ref = ref[len(prefix) + 1 :]
    if not ref.isdigit():
        return None
    return session.get(Ticket, int(ref))
