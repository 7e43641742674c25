"""Value formats of SPEC's output: ISO 8601 UTC times, the indicator, ticket references.

Without SQLAlchemy: `helpdesk tickets show` on an SQLite file imports none of it
(gateway.store.plain).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as SPEC's JSON wants."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def indicator(closed: bool, last_public_by: str) -> str:
    """grey: closed; red: the agents answered last (the requester's turn); green: else."""
    if closed:
        return "grey"
    return "red" if last_public_by == "agent" else "green"


def ticket_id(ref: str, prefix: str) -> int | None:
    """The id of a ticket reference: `17` or its tag `HD-17` (any case); None if neither."""
    ref = ref.strip()
    if ref.upper().startswith(prefix.upper() + "-"):
        ref = ref[len(prefix) + 1 :]
    return int(ref) if ref.isdigit() else None


def stored_time(value: str | dt.datetime | None) -> dt.datetime | None:
    """A time as a driver reads it without SQLAlchemy's types: SQLite's text (written by
    SQLAlchemy's DateTime as `YYYY-MM-DD HH:MM:SS.ffffff`, UTC) or PostgreSQL's naive
    datetime (UTC); aware, in UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def stored_param(value: dt.datetime, dialect: str) -> str | dt.datetime:
    """A time as a parameter of plain SQL compares with the stored ones: on SQLite the
    text SQLAlchemy's DateTime writes, elsewhere a naive UTC datetime (the model's
    UTCDateTime, gateway.store.types)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    naive = value.astimezone(dt.UTC).replace(tzinfo=None)
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else naive


def ticket_fields(row: Mapping[str, Any], prefix: str, messages: Any) -> dict[str, Any]:
    """A ticket's fields as `tickets list` and `tickets show` give them (SPEC), from its
    row as a driver reads it (SQLite's 0/1 and text times, PostgreSQL's own values);
    `messages`: the listing's count, or the detail's list."""
    closed = bool(row["closed"])
    return {
        "id": row["id"],
        "tag": f"{prefix}-{row['id']}",
        "subject": row["subject"],
        "status": row["status"],
        "closed": closed,
        "criticality": row["criticality"],
        "category": row["category"],
        "extra": bool(row["extra"]),
        "breached": bool(row["breached"]),
        "requester": row["requester"],
        "assignee": row["assignee"],
        "created_at": iso(stored_time(row["created_at"])),
        "updated_at": iso(stored_time(row["updated_at"])),
        "messages": messages,
        "indicator": indicator(closed, row["last_public_by"]),
    }
