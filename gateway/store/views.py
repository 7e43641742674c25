"""The ticket list's filters as SQL conditions (plain text), and tickets by reference (ORM).

Each filter is written here once, as SQL text with named parameters: the listing runs it
through sqlite3 on an SQLite file (gateway.store.plain, without importing SQLAlchemy)
and through SQLAlchemy's text() on PostgreSQL, in `#my` and in the tests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateway.store import fts_text
from gateway.store.columns import TICKET_COLUMNS as TICKET_COLUMNS
from gateway.store.formats import iso as iso
from gateway.store.formats import stored_param, ticket_id
from gateway.store.reading import Reader

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gateway.store.model import Ticket


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


@dataclass
class Where:
    """Conditions on `tickets` joined by AND, and the parameters they name."""

    parts: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add(self, sql: str, **params: Any) -> Where:
        self.parts.append(sql)
        self.params.update(params)
        return self

    def plus(self, sql: str, **params: Any) -> Where:
        """A copy with one more condition."""
        return Where([*self.parts], {**self.params}).add(sql, **params)

    def clause(self) -> str:
        """` WHERE ...` (nothing without a condition)."""
        return f" WHERE {' AND '.join(self.parts)}" if self.parts else ""


def _flag(dialect: str, value: bool) -> str:
    # As SQLAlchemy wrote a Boolean column's test (`IS 1`, `IS true`): the indexes on
    # `closed` serve it.
    if dialect == "sqlite":
        return "1" if value else "0"
    return "true" if value else "false"


def conditions(
    f: TicketFilter, dialect: str, users: Mapping[str, int | None] | None = None
) -> Where:
    """The filter as SQL conditions on `tickets`, each served by an index (see the model).
    `users`: the requester's and assignee's ids by address, looked up before
    (`user_ids`); without them each is a scalar subquery."""
    where = Where()
    if f.id is not None:
        where.add("tickets.id = :id", id=f.id)
    if f.status:
        where.add("tickets.status = :status", status=f.status)
    if f.open is not None:
        where.add(f"tickets.closed IS {_flag(dialect, not f.open)}")
    if f.indicator == "grey":
        where.add(f"tickets.closed IS {_flag(dialect, True)}")
    elif f.indicator in ("green", "red"):
        who = "requester" if f.indicator == "green" else "agent"
        where.add(f"tickets.closed IS {_flag(dialect, False)}")
        where.add("tickets.last_public_by = :last_public_by", last_public_by=who)
    if f.title:
        _title(where, f.title, dialect, "q_title")
    if f.text:
        _text(where, f.text, dialect)
    if f.requester:
        _user_is(where, "requester_id", f.requester, users)
    if f.assignee:
        _user_is(where, "assignee_id", f.assignee, users)
    if f.category:
        where.add("tickets.category = :category", category=f.category)
    if f.criticality:
        where.add("tickets.criticality = :criticality", criticality=f.criticality)
    if f.updated_since is not None:
        since = stored_param(f.updated_since, dialect)
        where.add("tickets.updated_at >= :updated_since", updated_since=since)
    if f.before is not None:
        where.add("tickets.id < :before", before=f.before)
    if f.extra:
        where.add(f"tickets.extra IS {_flag(dialect, True)}")
    return where


def without_words(f: TicketFilter) -> TicketFilter:
    """The filter without its searched texts (gateway.store.fts_walk finds those)."""
    return dataclasses.replace(f, title=None, text=None)


def _title(where: Where, query: str, dialect: str, name: str) -> None:
    """The subject holds the words; every match gathered off the index (the listing
    walks a search newest first instead, gateway.store.fts_walk), LIKE without a word."""
    if not fts_text.words(query):
        where.add(fts_text.like("tickets.subject", name), **{name: fts_text.like_pattern(query)})
    elif dialect == "sqlite":
        table = fts_text.FTS_TICKETS
        sql = f"tickets.id IN (SELECT rowid FROM {table} WHERE {table} MATCH :{name})"
        where.add(sql, **{name: fts_text.fts5_query(query)})
    else:
        # The matches first, off the GIN index, then the newest of them: OFFSET 0 keeps
        # the planner from folding the subquery into a walk of the tickets newest first
        # that computes each one's tsvector until a page is found.
        sql = f"tickets.id IN ({fts_text.pg_matches('tickets', name)} OFFSET 0)"
        where.add(sql, **{name: fts_text.pg_query(query)})


def _text(where: Where, query: str, dialect: str) -> None:
    """The subject or one of the ticket's messages holds the words."""
    if not fts_text.words(query):
        messages = (
            "tickets.id IN (SELECT messages.ticket_id FROM messages"
            f" WHERE {fts_text.like('messages.full_text', 'q_messages')})"
        )
        subject = fts_text.like("tickets.subject", "q_text_subject")
        pattern = fts_text.like_pattern(query)
        where.add(f"({subject} OR {messages})", q_text_subject=pattern, q_messages=pattern)
    elif dialect == "sqlite":
        table = fts_text.FTS_MESSAGES
        messages = (
            "tickets.id IN (SELECT fm.ticket_id FROM messages AS fm WHERE fm.id IN "
            f"(SELECT rowid FROM {table} WHERE {table} MATCH :q_messages))"
        )
        in_subject = Where()
        _title(in_subject, query, dialect, "q_text_subject")
        match = fts_text.fts5_query(query)
        where.add(f"({in_subject.parts[0]} OR {messages})", **in_subject.params, q_messages=match)
    else:
        sql = f"tickets.id IN ({fts_text.pg_either('q_either')})"
        where.add(sql, q_either=fts_text.pg_query(query))


def _address(email: str) -> str:
    return email.strip().lower()


def user_ids(read: Reader, f: TicketFilter) -> dict[str, int | None]:
    """The ids of the filter's requester and assignee by address (None: no such user),
    one statement; none if the filter names neither."""
    wanted = sorted({_address(e) for e in (f.requester, f.assignee) if e})
    if not wanted:
        return {}
    params = {f"email{i}": e for i, e in enumerate(wanted)}
    names = ", ".join(f":{name}" for name in params)
    rows = read(f"SELECT users.email, users.id FROM users WHERE users.email IN ({names})", params)
    found = {row["email"]: row["id"] for row in rows}
    return {email: found.get(email) for email in wanted}


def _user_is(where: Where, column: str, email: str, users: Mapping[str, int | None] | None) -> None:
    """The ticket's user is the one at `email`. Looked up before, the id is written into
    the statement: PostgreSQL then plans with the id's own frequency. As a subquery, or a
    bound value in a cached generic plan, it assumes an average agent's share (26,700 of
    a million tickets), walks the tickets newest first to find a page, and for an agent
    with few tickets (or none) reads the whole table (250 ms at a million). No such user
    matches nothing, without a statement's scan."""
    address = _address(email)
    if users is None or address not in users:
        # One user by email, as a scalar subquery: the tickets are then found on their index.
        name = f"{column}_email"
        sql = f"tickets.{column} = (SELECT users.id FROM users WHERE users.email = :{name})"
        where.add(sql, **{name: address})
        return
    found = users[address]
    # An int read from the database, written as a literal.
    where.add("0 = 1" if found is None else f"tickets.{column} = {int(found)}")


def resolve_ticket(session: Session, ref: str, prefix: str) -> Ticket | None:
    """A ticket by id (`17`) or tag (`HD-17`, any case)."""
    from gateway.store.model import Ticket

    wanted = ticket_id(ref, prefix)
    return None if wanted is None else session.get(Ticket, wanted)
