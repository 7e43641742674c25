"""The columns the ticket listings read, as lightweight Core table clauses (no ORM).

A listing names a dozen columns of three tables. The ORM model (gateway.store.model)
maps the whole schema, imports sqlalchemy.orm and, for its PostgreSQL-only index options,
SQLAlchemy's PostgreSQL dialect: most of what `helpdesk tickets list` cost before it read
anything. The model stays the schema; tests/listing/test_tables.py checks that these
columns are the model's, by name and type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Connection, Integer, String, Text, column, table

from gateway.store.types import UTCDateTime

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

tickets = table(
    "tickets",
    column("id", Integer),
    column("subject", String),
    column("status", String),
    column("closed", Boolean),
    column("criticality", String),
    column("category", String),
    column("extra", Boolean),
    column("breached", Boolean),
    column("last_public_by", String),
    column("created_at", UTCDateTime),
    column("updated_at", UTCDateTime),
    column("requester_id", Integer),
    column("assignee_id", Integer),
)
users = table("users", column("id", Integer), column("email", String))
messages = table(
    "messages", column("id", Integer), column("ticket_id", Integer), column("full_text", Text)
)


def dialect(reader: Connection | Session) -> str:
    """The dialect's name of what a listing reads through: the CLI's Core connection,
    or the session of the command that lists an agent's tickets (`#my`)."""
    if isinstance(reader, Connection):
        return reader.dialect.name
    return reader.get_bind().dialect.name
