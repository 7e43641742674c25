"""Full-text filters on SQLite, newest first: the ids of a page without ranking every match.

`--title` / `--text` select the tickets whose subject (FTS5 table `fts_tickets`, rowid =
ticket id) or one of whose messages (`fts_messages`, rowid = message id) holds the words.
A common word is in half the messages of the desk: gathering all its matches before
taking the newest fifty reads millions of index entries. So the search first probes how
many entries each word has, reading at most DENSE of them:

- few (the usual case for a name, a number, a rare term): one statement driven by the
  matches (each an index look-up of its ticket), sorted, the page taken;
- many: the same statement over windows of ticket ids, newest first, each window
  GROWTH times the previous, until the page is full. A window reads the matches of its
  tickets only (the message index is bounded by the window's lowest and highest message
  id), so a common word fills the page from the first window or two.

Both are exact: a window holds every match of its tickets, and the windows are read in
order. The other filters (status, assignee ...) apply in the same statement.
Every statement matches a word by its exact terms where it has few (gateway.store.fts_terms):
a prefix query merges the word's entries across the whole index, whatever the window.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, text, true
from sqlalchemy.orm import Session

from gateway.store import fts_terms, search
from gateway.store.model import Ticket
from gateway.store.views import TicketFilter, conditions

# Entries of a word read by the probe: past it the word is "common" and windows are used.
DENSE = 2_000
# The first window's ticket ids, and how much each next one grows.
WINDOW = 4_096
GROWTH = 8


def applies(f: TicketFilter, dialect: str) -> bool:
    """Whether the filter has a full-text part this module serves."""
    return dialect == "sqlite" and any(q and search.words(q) for q in (f.title, f.text))


def ids(session: Session, f: TicketFilter, n: int) -> list[int]:
    """The ids of the first `n` matching tickets, newest first."""
    if n <= 0:
        return []
    base = conditions(dataclasses.replace(f, title=None, text=None), "sqlite")
    q = _Match.of(session, f)
    if not _dense(session, q):
        return _window(session, q, base, None, f.before, n)
    top = f.before
    if top is None:
        top = (session.execute(select(func.max(Ticket.id))).scalar() or 0) + 1
    found: list[int] = []
    width = WINDOW
    while len(found) < n and top > 1:
        lo: int | None = top - width if top - width > 1 else None
        found += _window(session, q, base, lo, top, n - len(found))
        if lo is None:
            break
        top, width = lo, width * GROWTH
    return found


_PROBE = {
    table: text(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH :q LIMIT :n)")
    for table in (search.FTS_TICKETS, search.FTS_MESSAGES)
}


@dataclasses.dataclass(frozen=True)
class _Match:
    """The FTS5 MATCH texts of the filter's title and text words (None: not searched)."""

    title: str | None
    text: str | None

    @classmethod
    def of(cls, session: Session, f: TicketFilter) -> _Match:
        # Their exact terms where few (gateway.store.fts_terms): a common word's prefix
        # query alone costs 80-100 ms at a million messages, its terms 0.2 ms.
        conn = session.connection()

        def match(query: str | None) -> str | None:
            return fts_terms.match(conn, query) if query and search.words(query) else None

        return cls(match(f.title), match(f.text))


def _dense(session: Session, q: _Match) -> bool:
    """Whether a searched word has more than DENSE entries in an index it is searched in."""
    probes = []
    if q.title:
        probes.append((search.FTS_TICKETS, q.title))
    if q.text:
        probes += [(search.FTS_TICKETS, q.text), (search.FTS_MESSAGES, q.text)]
    for table, match in probes:
        params = {"q": match, "n": DENSE + 1}
        if session.execute(_PROBE[table], params).scalar_one() > DENSE:
            return True
    return False


def _window(
    session: Session,
    q: _Match,
    base: list[ColumnElement[bool]],
    lo: int | None,
    hi: int | None,
    n: int,
) -> list[int]:
    """The newest `n` matching ids with lo <= id < hi (None: unbounded)."""
    where = list(base)
    if lo is not None:
        where.append(Ticket.id >= lo)
    if hi is not None:
        where.append(Ticket.id < hi)
    if q.title:
        where.append(_in_tickets("t", q.title, lo, hi, messages=False))
    if q.text:
        where.append(_in_tickets("x", q.text, lo, hi, messages=True))
    query = select(Ticket.id).where(*where).order_by(Ticket.id.desc()).limit(n)
    return list(session.scalars(query))


def _in_tickets(
    name: str, match: str, lo: int | None, hi: int | None, *, messages: bool
) -> ColumnElement[bool]:
    """`tickets.id IN (matches)`: one IN over a UNION, so that the planner looks the
    tickets up from the matches instead of walking the tickets and testing each."""
    params: dict[str, Any] = {f"{name}_q": match}
    ticket_range = ""
    message_range = ""
    if lo is not None:
        params[f"{name}_lo"] = lo
        ticket_range += f" AND rowid >= :{name}_lo"
    if hi is not None:
        params[f"{name}_hi"] = hi
        ticket_range += f" AND rowid < :{name}_hi"
    if lo is not None or hi is not None:
        # The window's messages only: their ids lie between the lowest and the highest
        # message id of its tickets (read off the index of messages by ticket).
        bounds = " AND ".join(
            [f"b.ticket_id >= :{name}_lo"] * (lo is not None)
            + [f"b.ticket_id < :{name}_hi"] * (hi is not None)
        )
        message_range = (
            f" AND rowid >= (SELECT min(b.id) FROM messages AS b WHERE {bounds})"
            f" AND rowid <= (SELECT max(b.id) FROM messages AS b WHERE {bounds})"
        )
    sql = (
        f"tickets.id IN (SELECT rowid FROM {search.FTS_TICKETS}"
        f" WHERE {search.FTS_TICKETS} MATCH :{name}_q{ticket_range}"
    )
    if messages:
        sql += (
            f" UNION ALL SELECT m.ticket_id FROM messages AS m WHERE m.id IN"
            f" (SELECT rowid FROM {search.FTS_MESSAGES}"
            f" WHERE {search.FTS_MESSAGES} MATCH :{name}_q{message_range})"
        )
    sql += ")"
    return and_(true(), text(sql).bindparams(**params))
