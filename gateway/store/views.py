"""The ticket list's filters as SQL conditions, and tickets by reference (ORM).

The conditions name the columns of gateway.store.tables, not the ORM model: a listing
on the CLI imports neither sqlalchemy.orm nor the model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    ScalarSelect,
    bindparam,
    false,
    or_,
    select,
)

from gateway.store import search, tables
from gateway.store.columns import TICKET_COLUMNS as TICKET_COLUMNS
from gateway.store.formats import iso as iso
from gateway.store.formats import ticket_id

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


def conditions(
    f: TicketFilter, dialect: str, users: Mapping[str, int | None] | None = None
) -> list[ColumnElement[bool]]:
    """The filter as SQL conditions on `tickets`, each served by an index (see the model).
    `users`: the requester's and assignee's ids by address, looked up before
    (`user_ids`); without them each is a scalar subquery."""
    where: list[ColumnElement[bool]] = []
    if f.id is not None:
        where.append(tables.tickets.c.id == f.id)
    if f.status:
        where.append(tables.tickets.c.status == f.status)
    if f.open is not None:
        where.append(tables.tickets.c.closed.is_(not f.open))
    if f.indicator == "grey":
        where.append(tables.tickets.c.closed.is_(True))
    elif f.indicator in ("green", "red"):
        who = "requester" if f.indicator == "green" else "agent"
        where += [tables.tickets.c.closed.is_(False), tables.tickets.c.last_public_by == who]
    if f.title:
        where.append(_title(f.title, dialect, "q_title"))
    either = search.matching_subject_or_messages(dialect, f.text) if f.text else None
    if either is not None:
        where.append(either)
    elif f.text:
        in_messages = search.matching(dialect, "messages", f.text)
        if in_messages is None:
            in_messages = tables.tickets.c.id.in_(
                select(tables.messages.c.ticket_id).where(
                    search.like(tables.messages.c.full_text, f.text)
                )
            )
        where.append(or_(_title(f.text, dialect, "q_text_subject"), in_messages))
    if f.requester:
        where.append(_user_is(tables.tickets.c.requester_id, f.requester, users))
    if f.assignee:
        where.append(_user_is(tables.tickets.c.assignee_id, f.assignee, users))
    if f.category:
        where.append(tables.tickets.c.category == f.category)
    if f.criticality:
        where.append(tables.tickets.c.criticality == f.criticality)
    if f.updated_since is not None:
        where.append(tables.tickets.c.updated_at >= f.updated_since)
    if f.before is not None:
        where.append(tables.tickets.c.id < f.before)
    if f.extra:
        where.append(tables.tickets.c.extra.is_(True))
    return where


def _title(query: str, dialect: str, name: str) -> ColumnElement[bool]:
    found = search.matching(dialect, "tickets", query, name)
    return found if found is not None else search.like(tables.tickets.c.subject, query)


def _address(email: str) -> str:
    return email.strip().lower()


def user_ids(session: Connection | Session, f: TicketFilter) -> dict[str, int | None]:
    """The ids of the filter's requester and assignee by address (None: no such user),
    one statement; none if the filter names neither."""
    wanted = {_address(e) for e in (f.requester, f.assignee) if e}
    if not wanted:
        return {}
    rows = session.execute(
        select(tables.users.c.email, tables.users.c.id).where(tables.users.c.email.in_(wanted))
    )
    found = {email: id_ for email, id_ in rows}
    return {email: found.get(email) for email in wanted}


def _user_is(
    column: ColumnElement[Any], email: str, users: Mapping[str, int | None] | None
) -> ColumnElement[bool]:
    """The ticket's user is the one at `email`. Looked up before, the id is written into
    the statement: PostgreSQL then plans with the id's own frequency. As a subquery, or a
    bound value in a cached generic plan, it assumes an average agent's share (26,700 of
    a million tickets), walks the tickets newest first to find a page, and for an agent
    with few tickets (or none) reads the whole table (250 ms at a million). No such user
    matches nothing, without a statement's scan."""
    address = _address(email)
    if users is None or address not in users:
        return column == _user_id(address)
    found = users[address]
    if found is None:
        return false()
    return column == bindparam(None, found, Integer, literal_execute=True)


def _user_id(address: str) -> ScalarSelect[int]:
    # One user by email, as a scalar subquery: the tickets are then found on their index.
    return select(tables.users.c.id).where(tables.users.c.email == address).scalar_subquery()


def resolve_ticket(session: Session, ref: str, prefix: str) -> Ticket | None:
    """A ticket by id (`17`) or tag (`HD-17`, any case)."""
    from gateway.store.model import Ticket

    wanted = ticket_id(ref, prefix)
    return None if wanted is None else session.get(Ticket, wanted)
