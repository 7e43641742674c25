"""Column types and value formats shared by the ORM model and the Core queries.

Kept apart from gateway.store.model so that a command reading one ticket with Core
(gateway.store.detail) need not import the ORM and map the whole schema.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.types import DateTime, TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: object
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


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
