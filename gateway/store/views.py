"""Tickets as the CLI (and SPEC's JSON) shows them, and the ticket list filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

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
    # Only the tickets flagged as extra work (#extra).
    extra: bool = False


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def ticket_query(f: TicketFilter) -> Select[Ticket]:
    query = select(Ticket).order_by(Ticket.id)
    if f.id is not None:
        query = query.where(Ticket.id == f.id)
    if f.status:
        query = query.where(Ticket.status == f.status)
    if f.open is not None:
        query = query.where(Ticket.closed.is_(not f.open))
    if f.indicator == "grey":
        query = query.where(Ticket.closed.is_(True))
    elif f.indicator in ("green", "red"):
        who = "requester" if f.indicator == "green" else "agent"
        query = query.where(Ticket.closed.is_(False), Ticket.last_public_by == who)
    if f.title:
        query = query.where(func.lower(Ticket.subject).like(_like(f.title.lower()), escape="\\"))
    if f.text:
        pattern = _like(f.text.lower())
        query = query.where(
            or_(
                func.lower(Ticket.subject).like(pattern, escape="\\"),
                Ticket.id.in_(
                    select(Message.ticket_id).where(
                        func.lower(Message.full_text).like(pattern, escape="\\")
                    )
                ),
            )
        )
    if f.requester:
        req = aliased(User)
        query = query.join(req, Ticket.requester_id == req.id).where(
            req.email == f.requester.strip().lower()
        )
    if f.assignee:
        asg = aliased(User)
        query = query.join(asg, Ticket.assignee_id == asg.id).where(
            asg.email == f.assignee.strip().lower()
        )
    if f.category:
        query = query.where(Ticket.category == f.category)
    if f.criticality:
        query = query.where(Ticket.criticality == f.criticality)
    if f.extra:
        query = query.where(Ticket.extra.is_(True))
    return query


def message_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(Message.ticket_id, func.count())
        .where(Message.ticket_id.in_(ids))
        .group_by(Message.ticket_id)
    )
    return {tid: n for tid, n in rows}


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


def list_tickets(session: Session, f: TicketFilter, prefix: str) -> list[dict[str, Any]]:
    found = list(session.scalars(ticket_query(f)).unique())
    counts = message_counts(session, [t.id for t in found])
    return [ticket_dict(t, prefix, counts.get(t.id, 0)) for t in found]


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
