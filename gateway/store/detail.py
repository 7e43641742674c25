"""One ticket as `helpdesk tickets show` prints it: its row, messages, participants,
SLA times, links, ratings and (on request) history, read with Core statements.

Core, not the ORM: importing sqlalchemy.orm and mapping the whole schema
(gateway.store.model) is most of what a CLI call cost before it read anything, and one
ticket needs a handful of index look-ups (each by the ticket's id).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Boolean, Connection, Integer, RowMapping, TextualSelect, text

from gateway.store.types import UTCDateTime, indicator, iso, ticket_id


def _q(sql: str, **types: Any) -> TextualSelect:
    # Typed result columns: booleans and UTC datetimes as the model reads them.
    return text(sql).columns(**{name: kind() for name, kind in types.items()})


_TICKET = _q(
    "SELECT t.id, t.subject, t.status, t.closed, t.criticality, t.category, t.extra,"
    " t.breached, t.last_public_by, t.created_at, t.updated_at, t.sla_level,"
    " t.response_due_at, t.resolve_due_at, t.first_response_at, t.resolved_at,"
    " t.linked_ticket_id, r.email AS requester, a.email AS assignee"
    " FROM tickets AS t JOIN users AS r ON r.id = t.requester_id"
    " LEFT JOIN users AS a ON a.id = t.assignee_id WHERE t.id = :id",
    closed=Boolean,
    extra=Boolean,
    breached=Boolean,
    created_at=UTCDateTime,
    updated_at=UTCDateTime,
    response_due_at=UTCDateTime,
    resolve_due_at=UTCDateTime,
    first_response_at=UTCDateTime,
    resolved_at=UTCDateTime,
)
_MESSAGES = _q(
    "SELECT m.id, u.email AS author, m.kind, m.hidden, m.created_at, m.body"
    " FROM messages AS m LEFT JOIN users AS u ON u.id = m.author_id"
    " WHERE m.ticket_id = :id ORDER BY m.id",
    hidden=Boolean,
    created_at=UTCDateTime,
)
_ATTACHMENTS = _q(
    "SELECT a.message_id, a.filename, a.content_type, a.size FROM attachments AS a"
    " JOIN messages AS m ON m.id = a.message_id WHERE m.ticket_id = :id ORDER BY a.id",
    size=Integer,
)
_PARTICIPANTS = text(
    "SELECT u.email FROM participants AS p JOIN users AS u ON u.id = p.user_id"
    " WHERE p.ticket_id = :id ORDER BY p.id"
)
_CONTINUED_BY = text("SELECT id FROM tickets WHERE linked_ticket_id = :id ORDER BY id")
_RATINGS = _q(
    "SELECT at, grade, label, comment FROM ratings WHERE ticket_id = :id ORDER BY id",
    at=UTCDateTime,
)
_EVENTS = _q(
    "SELECT at, actor, kind, old, new FROM events WHERE ticket_id = :id ORDER BY id",
    at=UTCDateTime,
)


def find(conn: Connection, ref: str, prefix: str) -> int | None:
    """The id of the ticket `ref` (id or tag) names, if it exists."""
    wanted = ticket_id(ref, prefix)
    if wanted is None:
        return None
    found = conn.execute(text("SELECT id FROM tickets WHERE id = :id"), {"id": wanted})
    return found.scalar()


def ticket_detail(conn: Connection, ticket: int, prefix: str, history: bool) -> dict[str, Any]:
    """The ticket's JSON of SPEC (`tickets show --format json`)."""
    params = {"id": ticket}
    t = conn.execute(_TICKET, params).mappings().one()
    attachments: dict[int, list[dict[str, Any]]] = {}
    for a in conn.execute(_ATTACHMENTS, params):
        attachments.setdefault(a.message_id, []).append(
            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
        )
    messages = [
        {
            "from": m.author,
            "kind": m.kind,
            "hidden": bool(m.hidden),
            "created_at": iso(m.created_at),
            "body": m.body,
            "attachments": attachments.get(m.id, []),
        }
        for m in conn.execute(_MESSAGES, params)
    ]
    data = _ticket_dict(t, prefix)
    data["messages"] = messages
    data["message_count"] = len(messages)
    data["participants"] = list(conn.execute(_PARTICIPANTS, params).scalars())
    data.update(_desk_detail(conn, t, prefix))
    if history:
        data["events"] = [
            {"at": iso(e.at), "actor": e.actor, "kind": e.kind, "old": e.old, "new": e.new}
            for e in conn.execute(_EVENTS, params)
        ]
    return data


def _ticket_dict(t: RowMapping, prefix: str) -> dict[str, Any]:
    return {
        "id": t["id"],
        "tag": f"{prefix}-{t['id']}",
        "subject": t["subject"],
        "status": t["status"],
        "closed": bool(t["closed"]),
        "criticality": t["criticality"],
        "category": t["category"],
        "extra": bool(t["extra"]),
        "breached": bool(t["breached"]),
        "requester": t["requester"],
        "assignee": t["assignee"],
        "created_at": iso(t["created_at"]),
        "updated_at": iso(t["updated_at"]),
        "messages": [],
        "indicator": indicator(bool(t["closed"]), t["last_public_by"]),
    }


def _desk_detail(conn: Connection, t: RowMapping, prefix: str) -> dict[str, Any]:
    """SLA level and times, linked tickets and ratings (gateway.desk)."""
    tag: Callable[[int], str] = lambda i: f"{prefix}-{i}"  # noqa: E731
    params = {"id": t["id"]}
    return {
        "sla_level": t["sla_level"] or None,
        "response_due_at": iso(t["response_due_at"]),
        "resolve_due_at": iso(t["resolve_due_at"]),
        "first_response_at": iso(t["first_response_at"]),
        "resolved_at": iso(t["resolved_at"]),
        "linked_to": tag(t["linked_ticket_id"]) if t["linked_ticket_id"] else None,
        "continued_by": [tag(i) for i in conn.execute(_CONTINUED_BY, params).scalars()],
        "ratings": [
            {"at": iso(r.at), "grade": r.grade, "label": r.label, "comment": r.comment}
            for r in conn.execute(_RATINGS, params)
        ],
    }
