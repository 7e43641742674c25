"""Value formats of SPEC's output: ISO 8601 UTC times, the indicator, ticket references.

Without SQLAlchemy: `helpdesk tickets show` on an SQLite file imports none of it
(gateway.store.plain).
"""

from __future__ import annotations

import datetime as dt


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
