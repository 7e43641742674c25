"""The ticket list: one page newest first, how many more there are, or every match streamed.

Each page is one statement: the filter's conditions (served by the tickets' indexes, see
the model), newest first, LIMIT/OFFSET or the `before` cursor, and the requester's and
assignee's addresses and the message count as scalar subqueries per listed row (each an
index lookup), so a page costs the same however many tickets the desk holds.

Core statements on gateway.store.tables, read through a Core connection (the CLI) or a
session (`#my`): listing imports neither sqlalchemy.orm nor the ORM model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Row, Select, func, select

from gateway.store import fts_walk, tables
from gateway.store.columns import DEFAULT_LIMIT as DEFAULT_LIMIT
from gateway.store.tables import dialect as _dialect
from gateway.store.views import TicketFilter, conditions, iso, user_ids

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gateway.store.model import Ticket

# Counting stops here: past it the listing says "more than", and a filter that matches
# most of a million tickets costs no more than one that matches ten thousand.
COUNT_CAP = 10_000
# The same for a full-text search: counting ten thousand matches of a common word would
# cost more than the page (the matches are found walking windows of the desk newest
# first, gateway.store.fts_walk, and each counted match is one found).
FTS_COUNT_CAP = 1_000
# Rows per statement when every match is streamed.
STREAM_CHUNK = 1_000


@dataclass
class Page:
    rows: list[dict[str, Any]]
    # Matches after this page; `capped` when counting stopped at COUNT_CAP.
    more: int
    capped: bool
    offset: int

    @property
    def next_before(self) -> int | None:
        return self.rows[-1]["id"] if self.rows and self.more else None


def _rows_query(
    f: TicketFilter,
    dialect: str,
    ids: list[int] | None = None,
    users: dict[str, int | None] | None = None,
) -> Select[Any]:
    """The listed columns of the matches, newest first; or of the given ids (at most a
    page or a chunk of them, found by gateway.store.fts_walk). `users`: views.user_ids."""
    where = conditions(f, dialect, users) if ids is None else [tables.tickets.c.id.in_(ids)]
    requester = tables.users.alias()
    assignee = tables.users.alias()
    query = (
        select(
            tables.tickets.c.id,
            tables.tickets.c.subject,
            tables.tickets.c.status,
            tables.tickets.c.closed,
            tables.tickets.c.criticality,
            tables.tickets.c.category,
            tables.tickets.c.extra,
            tables.tickets.c.breached,
            tables.tickets.c.last_public_by,
            tables.tickets.c.created_at,
            tables.tickets.c.updated_at,
            select(requester.c.email)
            .where(requester.c.id == tables.tickets.c.requester_id)
            .scalar_subquery()
            .label("requester"),
            select(assignee.c.email)
            .where(assignee.c.id == tables.tickets.c.assignee_id)
            .scalar_subquery()
            .label("assignee"),
            select(func.count())
            .select_from(tables.messages)
            .where(tables.messages.c.ticket_id == tables.tickets.c.id)
            .scalar_subquery()
            .label("messages"),
        )
        .where(*where)
        .order_by(tables.tickets.c.id.desc())
    )
    # More columns than the typed Select overloads spell out.
    return cast("Select[Any]", query)


def _row_dict(row: Row[Any], prefix: str) -> dict[str, Any]:
    indicator = "grey" if row.closed else "red" if row.last_public_by == "agent" else "green"
    return {
        "id": row.id,
        "tag": f"{prefix}-{row.id}",
        "subject": row.subject,
        "status": row.status,
        "closed": bool(row.closed),
        "criticality": row.criticality,
        "category": row.category,
        "extra": bool(row.extra),
        "breached": bool(row.breached),
        "requester": row.requester,
        "assignee": row.assignee,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "messages": row.messages,
        "indicator": indicator,
    }


def count_matches(
    session: Connection | Session,
    f: TicketFilter,
    cap: int = COUNT_CAP,
    users: dict[str, int | None] | None = None,
) -> tuple[int, bool]:
    """How many tickets match, counted up to `cap + 1`; and whether counting stopped."""
    if fts_walk.applies(f, _dialect(session)):
        found = len(fts_walk.ids(session, f, cap + 1))
        return min(found, cap), found > cap
    if users is None:
        users = user_ids(session, f)
    ids = select(tables.tickets.c.id).where(*conditions(f, _dialect(session), users)).limit(cap + 1)
    total = session.execute(select(func.count()).select_from(ids.subquery())).scalar_one()
    return min(total, cap), total > cap


def page(
    session: Connection | Session,
    f: TicketFilter,
    prefix: str,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page:
    """One page of matches, newest first, and how many come after it."""
    dialect = _dialect(session)
    if fts_walk.applies(f, dialect):
        found = fts_walk.ids(session, f, offset + limit + FTS_COUNT_CAP + 1)
        shown = found[offset : offset + limit]
        rows = [_row_dict(r, prefix) for r in session.execute(_rows_query(f, dialect, shown))]
        total = min(len(found), offset + limit + FTS_COUNT_CAP)
        return Page(rows, max(0, total - offset - len(rows)), len(found) > total, offset)
    # The requester's and assignee's ids first: see views._user_is.
    users = user_ids(session, f)
    query = _rows_query(f, dialect, users=users).limit(limit).offset(offset)
    rows = [_row_dict(r, prefix) for r in session.execute(query)]
    # A searched text without a word (LIKE) is counted as far as a word: each match
    # counted costs a test of the text.
    cap = FTS_COUNT_CAP if f.text or f.title else COUNT_CAP
    total, capped = count_matches(session, f, cap + offset + limit, users)
    return Page(rows, max(0, total - offset - len(rows)), capped, offset)


def tickets(session: Session, f: TicketFilter, limit: int) -> list[Ticket]:
    """The first `limit` matching tickets as ORM objects, newest first (an agent's `#my`):
    found as a page is, a search walking the index and a user looked up first."""
    from gateway.store.model import Ticket

    dialect = _dialect(session)
    if fts_walk.applies(f, dialect):
        found = fts_walk.ids(session, f, limit)
    else:
        # The ids first: the conditions name gateway.store.tables' columns, which an ORM
        # statement would take for a second `tickets` to join.
        where = conditions(f, dialect, user_ids(session, f))
        ids = select(tables.tickets.c.id).where(*where)
        found = list(session.scalars(ids.order_by(tables.tickets.c.id.desc()).limit(limit)))
    query = select(Ticket).where(Ticket.id.in_(found)).order_by(Ticket.id.desc())
    return list(session.scalars(query).unique())


def stream(session: Connection | Session, f: TicketFilter, prefix: str) -> Iterator[dict[str, Any]]:
    """Every match, newest first, a chunk per statement: memory stays flat however many."""
    cursor = dataclasses.replace(f)
    dialect = _dialect(session)
    fts = fts_walk.applies(f, dialect)
    users = user_ids(session, f)
    while True:
        if fts:
            ids = fts_walk.ids(session, cursor, STREAM_CHUNK)
            chunk = list(session.execute(_rows_query(cursor, dialect, ids))) if ids else []
        else:
            query = _rows_query(cursor, dialect, users=users).limit(STREAM_CHUNK)
            chunk = list(session.execute(query))
        for row in chunk:
            yield _row_dict(row, prefix)
        if len(chunk) < STREAM_CHUNK:
            return
        last = chunk[-1].id
        cursor.before = last if cursor.before is None else min(cursor.before, last)
