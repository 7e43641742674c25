"""The ticket list: one page newest first, how many more there are, or every match streamed.

Each page is one statement: the filter's conditions (served by the tickets' indexes, see
the model), newest first, LIMIT/OFFSET or the `before` cursor, and the requester's and
assignee's addresses and the message count as scalar subqueries per listed row (each an
index lookup), so a page costs the same however many tickets the desk holds.

Plain SQL (the conditions of gateway.store.views) through a gateway.store.reading reader:
on an SQLite file the CLI's listing runs through sqlite3 without importing SQLAlchemy;
on PostgreSQL, and in a session (`#my`), through SQLAlchemy's text().
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gateway.store import fts_walk, reading
from gateway.store.columns import DEFAULT_LIMIT as DEFAULT_LIMIT
from gateway.store.formats import ticket_fields
from gateway.store.reading import Reader
from gateway.store.views import TicketFilter, Where, conditions, user_ids

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from gateway.store.model import Ticket

    # What a listing reads through: a plain reader, or SQLAlchemy's connection or session.
    Source = Reader | Connection | Session

# Counting stops here: past it the listing says "more than", and a filter that matches
# most of a million tickets costs no more than one that matches ten thousand.
COUNT_CAP = 10_000
# The same for a full-text search: counting ten thousand matches of a common word would
# cost more than the page (the matches are found walking windows of the desk newest
# first, gateway.store.fts_walk, and each counted match is one found).
FTS_COUNT_CAP = 1_000
# Rows per statement when every match is streamed.
STREAM_CHUNK = 1_000

_COLUMNS = (
    "SELECT tickets.id, tickets.subject, tickets.status, tickets.closed,"
    " tickets.criticality, tickets.category, tickets.extra, tickets.breached,"
    " tickets.last_public_by, tickets.created_at, tickets.updated_at,"
    " (SELECT users_1.email FROM users AS users_1"
    " WHERE users_1.id = tickets.requester_id) AS requester,"
    " (SELECT users_2.email FROM users AS users_2"
    " WHERE users_2.id = tickets.assignee_id) AS assignee,"
    " (SELECT count(*) FROM messages"
    " WHERE messages.ticket_id = tickets.id) AS messages"
    " FROM tickets"
)


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


def _rows(read: Reader, where: Where, limit: int | None = None, offset: int = 0) -> list[Any]:
    """The listed columns of the tickets `where` selects, newest first."""
    sql = f"{_COLUMNS}{where.clause()} ORDER BY tickets.id DESC"
    params = dict(where.params)
    if limit is not None:
        sql += " LIMIT :limit OFFSET :offset"
        params.update(limit=limit, offset=offset)
    return read(sql, params)


def _of_ids(read: Reader, ids: list[int]) -> list[Any]:
    """The listed columns of the given tickets (at most a page or a chunk of them, found
    by gateway.store.fts_walk), newest first."""
    if not ids:
        return []
    # Ids read from the database, written as literals.
    listed = ", ".join(str(int(i)) for i in ids)
    return _rows(read, Where([f"tickets.id IN ({listed})"]))


def _row_dict(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    return ticket_fields(row, prefix, row["messages"])


def count_matches(
    source: Source,
    f: TicketFilter,
    cap: int = COUNT_CAP,
    users: dict[str, int | None] | None = None,
) -> tuple[int, bool]:
    """How many tickets match, counted up to `cap + 1`; and whether counting stopped."""
    read = reading.over(source)
    if fts_walk.applies(f, read.dialect):
        found = len(fts_walk.ids(read, f, cap + 1))
        return min(found, cap), found > cap
    if users is None:
        users = user_ids(read, f)
    where = conditions(f, read.dialect, users)
    ids = f"SELECT tickets.id FROM tickets{where.clause()} LIMIT :cap"
    sql = f"SELECT count(*) AS n FROM ({ids}) AS counted"
    total = int(read.value(sql, {**where.params, "cap": cap + 1}))
    return min(total, cap), total > cap


def page(
    source: Source,
    f: TicketFilter,
    prefix: str,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page:
    """One page of matches, newest first, and how many come after it."""
    read = reading.over(source)
    if fts_walk.applies(f, read.dialect):
        found = fts_walk.ids(read, f, offset + limit + FTS_COUNT_CAP + 1)
        shown = found[offset : offset + limit]
        rows = [_row_dict(r, prefix) for r in _of_ids(read, shown)]
        total = min(len(found), offset + limit + FTS_COUNT_CAP)
        return Page(rows, max(0, total - offset - len(rows)), len(found) > total, offset)
    # The requester's and assignee's ids first: see views._user_is.
    users = user_ids(read, f)
    where = conditions(f, read.dialect, users)
    rows = [_row_dict(r, prefix) for r in _rows(read, where, limit, offset)]
    # A searched text without a word (LIKE) is counted as far as a word: each match
    # counted costs a test of the text.
    cap = FTS_COUNT_CAP if f.text or f.title else COUNT_CAP
    total, capped = count_matches(read, f, cap + offset + limit, users)
    return Page(rows, max(0, total - offset - len(rows)), capped, offset)


def tickets(session: Session, f: TicketFilter, limit: int) -> list[Ticket]:
    """The first `limit` matching tickets as ORM objects, newest first (an agent's `#my`):
    found as a page is, a search walking the index and a user looked up first."""
    from sqlalchemy import select

    from gateway.store.model import Ticket

    read = reading.over(session)
    if fts_walk.applies(f, read.dialect):
        found = fts_walk.ids(read, f, limit)
    else:
        where = conditions(f, read.dialect, user_ids(read, f))
        sql = f"SELECT tickets.id FROM tickets{where.clause()} ORDER BY tickets.id DESC LIMIT :n"
        found = [int(row["id"]) for row in read(sql, {**where.params, "n": limit})]
    query = select(Ticket).where(Ticket.id.in_(found)).order_by(Ticket.id.desc())
    return list(session.scalars(query).unique())


def stream(source: Source, f: TicketFilter, prefix: str) -> Iterator[dict[str, Any]]:
    """Every match, newest first, a chunk per statement: memory stays flat however many."""
    read = reading.over(source)
    cursor = dataclasses.replace(f)
    fts = fts_walk.applies(f, read.dialect)
    users = user_ids(read, f)
    while True:
        if fts:
            chunk = _of_ids(read, fts_walk.ids(read, cursor, STREAM_CHUNK))
        else:
            chunk = _rows(read, conditions(cursor, read.dialect, users), STREAM_CHUNK)
        for row in chunk:
            yield _row_dict(row, prefix)
        if len(chunk) < STREAM_CHUNK:
            return
        last = chunk[-1]["id"]
        cursor.before = last if cursor.before is None else min(cursor.before, last)
