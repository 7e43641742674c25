"""One ticket as `helpdesk tickets show` prints it: its row, messages, participants,
SLA times, links, ratings and (on request) history, read with plain SQL.

Plain SQL through gateway.store.plain, not the ORM nor even SQLAlchemy on SQLite:
importing them is most of what a CLI call cost before it read anything, and one ticket
needs a handful of index look-ups (each by the ticket's id). The values come as the
driver gives them and are converted here: booleans from SQLite's 0/1, times from its
text (stored by SQLAlchemy's DateTime as `YYYY-MM-DD HH:MM:SS.ffffff`, UTC) or from
PostgreSQL's datetimes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from gateway.store.formats import iso, stored_time, ticket_fields, ticket_id
from gateway.store.reading import Fetch

_TICKET = (
    "SELECT t.id, t.subject, t.status, t.closed, t.criticality, t.category, t.extra,"
    " t.breached, t.last_public_by, t.created_at, t.updated_at, t.sla_level,"
    " t.response_due_at, t.resolve_due_at, t.first_response_at, t.resolved_at,"
    " t.linked_ticket_id, r.email AS requester, a.email AS assignee"
    " FROM tickets AS t JOIN users AS r ON r.id = t.requester_id"
    " LEFT JOIN users AS a ON a.id = t.assignee_id WHERE t.id = :id"
)
_MESSAGES = (
    "SELECT m.id, u.email AS author, m.kind, m.hidden, m.created_at, m.body"
    " FROM messages AS m LEFT JOIN users AS u ON u.id = m.author_id"
    " WHERE m.ticket_id = :id ORDER BY m.id"
)
_ATTACHMENTS = (
    "SELECT a.message_id, a.filename, a.content_type, a.size FROM attachments AS a"
    " JOIN messages AS m ON m.id = a.message_id WHERE m.ticket_id = :id ORDER BY a.id"
)
_PARTICIPANTS = (
    "SELECT u.email FROM participants AS p JOIN users AS u ON u.id = p.user_id"
    " WHERE p.ticket_id = :id ORDER BY p.id"
)
_CONTINUED_BY = "SELECT id FROM tickets WHERE linked_ticket_id = :id ORDER BY id"
_RATINGS = "SELECT at, grade, label, comment FROM ratings WHERE ticket_id = :id ORDER BY id"
_EVENTS = "SELECT at, actor, kind, old, new FROM events WHERE ticket_id = :id ORDER BY id"


def _time(value: str | dt.datetime | None) -> str | None:
    """A stored time in SPEC's format (UTC, as the model's UTCDateTime reads it)."""
    return iso(stored_time(value))


def find(fetch: Fetch, ref: str, prefix: str) -> int | None:
    """The id of the ticket `ref` (id or tag) names, if it exists."""
    wanted = ticket_id(ref, prefix)
    if wanted is None:
        return None
    found = fetch("SELECT id FROM tickets WHERE id = :id", {"id": wanted})
    return int(found[0]["id"]) if found else None


def ticket_detail(fetch: Fetch, ticket: int, prefix: str, history: bool) -> dict[str, Any]:
    """The ticket's JSON of SPEC (`tickets show --format json`)."""
    params = {"id": ticket}
    (t,) = fetch(_TICKET, params)
    attachments: dict[int, list[dict[str, Any]]] = {}
    for a in fetch(_ATTACHMENTS, params):
        attachments.setdefault(a["message_id"], []).append(
            {"filename": a["filename"], "content_type": a["content_type"], "size": a["size"]}
        )
    messages = [
        {
            "from": m["author"],
            "kind": m["kind"],
            "hidden": bool(m["hidden"]),
            "created_at": _time(m["created_at"]),
            "body": m["body"],
            "attachments": attachments.get(m["id"], []),
        }
        for m in fetch(_MESSAGES, params)
    ]
    data = _ticket_dict(t, prefix)
    data["messages"] = messages
    data["message_count"] = len(messages)
    data["participants"] = [p["email"] for p in fetch(_PARTICIPANTS, params)]
    data.update(_desk_detail(fetch, t, prefix))
    if history:
        data["events"] = [
            {"at": _time(e["at"]), **{k: e[k] for k in ("actor", "kind", "old", "new")}}
            for e in fetch(_EVENTS, params)
        ]
    return data


def _ticket_dict(t: dict[str, Any], prefix: str) -> dict[str, Any]:
    return ticket_fields(t, prefix, [])


def _desk_detail(fetch: Fetch, t: dict[str, Any], prefix: str) -> dict[str, Any]:
    """SLA level and times, linked tickets and ratings (gateway.desk)."""
    tag: Callable[[int], str] = lambda i: f"{prefix}-{i}"  # noqa: E731
    params = {"id": t["id"]}
    return {
        "sla_level": t["sla_level"] or None,
        "response_due_at": _time(t["response_due_at"]),
        "resolve_due_at": _time(t["resolve_due_at"]),
        "first_response_at": _time(t["first_response_at"]),
        "resolved_at": _time(t["resolved_at"]),
        "linked_to": tag(t["linked_ticket_id"]) if t["linked_ticket_id"] else None,
        "continued_by": [tag(c["id"]) for c in fetch(_CONTINUED_BY, params)],
        "ratings": [
            {"at": _time(r["at"]), **{k: r[k] for k in ("grade", "label", "comment")}}
            for r in fetch(_RATINGS, params)
        ],
    }
