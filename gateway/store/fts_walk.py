"""Full-text filters newest first: the ids of a page without ranking every match.

`--title` / `--text` select the tickets whose subject or one of whose messages holds the
words. A common word is in half the messages of the desk: gathering all its matches
before taking the newest fifty reads millions of index entries. So the tickets are read
in windows of ticket ids, newest first, each GROWTH times the previous, until the page is
full; each window is one statement, with the other filters (status, assignee ...).

SQLite (FTS5: `fts_tickets`, rowid = ticket id; `fts_messages`, rowid = message id)
first probes how many entries each word has, reading at most DENSE of them:
- few (the usual case for a name, a number, a rare term): one statement driven by the
  matches (each an index look-up of its ticket), sorted, the page taken;
- many: the windows. A window reads the matches of its tickets only (the message index
  is bounded by the window's lowest and highest message id), so a common word fills the
  page from the first window or two.

PostgreSQL (GIN indexes over the stored vectors, gateway.store.search) has no such probe:
a GIN look-up reads every entry of the word whatever its LIMIT (a second for a common
word at a million tickets). Its windows test their tickets newest first, one by one,
against the stored vectors (the subject's, then those of the ticket's messages, found by
the index of messages by ticket), and stop at the page. The windows are the probe: when
the matches found so far put the rest of the page further than PG_WALK tickets away
(counted among the tickets the other filters pass, those a window tests: a rare word, or
a rare combination), the tickets below the last window are one statement
driven by the GIN matches, as on SQLite -- unless the other filters leave at most
PG_WALK tickets there (a requester's, say): those are tested one by one too, since the
GIN look-up of a common word would cost far more.

Both are exact: a window holds every match of its tickets, and the windows are read in
order. Every SQLite statement matches a word by its exact terms where it has few
(gateway.store.fts_terms): a prefix query merges the word's entries across the whole
index, whatever the window.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, and_, func, select, text, true

from gateway.store import fts_rare, fts_terms, search, tables
from gateway.store.views import TicketFilter, conditions, user_ids

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Entries of a word read by the SQLite probe: past it the word is "common".
DENSE = 2_000
# The first window's ticket ids, and how much each next one grows.
WINDOW = 4_096
GROWTH = 8
# PostgreSQL: a smaller first window (its tickets are tested one by one, an index
# look-up of its messages each: a rare word's page costs the first window whole); and
# another window only if the matches so far put the page within PG_WALK more tickets,
# else the GIN look-up.
PG_WINDOW = 512
PG_WALK = 16_384


def applies(f: TicketFilter, dialect: str) -> bool:
    """Whether the filter has a full-text part this module serves."""
    fts = dialect in ("sqlite", "postgresql")
    return fts and any(q and search.words(q) for q in (f.title, f.text))


def ids(session: Connection | Session, f: TicketFilter, n: int) -> list[int]:
    """The ids of the first `n` matching tickets, newest first."""
    if n <= 0:
        return []
    dialect = tables.dialect(session)
    others_only = dataclasses.replace(f, title=None, text=None)
    base = conditions(others_only, dialect, user_ids(session, others_only))
    q = _Match.of(session, f) if dialect == "sqlite" else None
    if q is not None and not _dense(session, q):
        return _window(session, dialect, f, q, base, None, f.before, n)
    top = f.before
    if top is None:
        top = (session.execute(select(func.max(tables.tickets.c.id))).scalar() or 0) + 1
    start = top
    found: list[int] = []
    width = WINDOW if dialect == "sqlite" else PG_WINDOW
    walked = 0
    others = dataclasses.replace(others_only, before=None) != TicketFilter()
    while len(found) < n and top > 1:
        lo: int | None = top - width if top - width > 1 else None
        if dialect == "postgresql" and top != start and not _near(len(found), walked, n):
            lo = None
        # PostgreSQL tests the tickets of a window one by one; the rest below the last
        # window too when they are few, else the GIN look-up serves it.
        tested = lo is not None or (
            dialect == "postgresql" and _few_left(session, others, base, top)
        )
        pg_gin = dialect == "postgresql" and not tested
        rare = fts_rare.rare_words(session, f, max(top, start - PG_WINDOW), start) if pg_gin else {}
        found += _window(session, dialect, f, q, base, lo, top, n - len(found), tested, rare)
        if lo is None:
            break
        # The tickets the window tested: those passing the other filters (a window's
        # cost, and what the density of the matches is measured against).
        if dialect == "postgresql":  # what _near weighs (SQLite's windows need no count)
            walked += _passing(session, base, lo, top) if others and len(found) < n else top - lo
        top, width = lo, width * GROWTH
    return found


def _near(found: int, walked: int, n: int) -> bool:
    """Whether `found` matches in `walked` tickets tested put the rest of `n` within
    PG_WALK more tested."""
    return found > 0 and (n - found) * walked <= found * PG_WALK


def _few_left(
    session: Connection | Session, others: bool, base: list[ColumnElement[bool]], top: int
) -> bool:
    """Whether at most PG_WALK tickets below `top` pass the other filters: testing each
    then costs less than the GIN look-up of a common word (a requester's tickets, say).
    Counted on the filters' indexes, up to PG_WALK + 1."""
    if top - 1 <= PG_WALK:
        return True
    if not others:
        return False  # every ticket below passes
    rows = (
        select(tables.tickets.c.id)
        .where(*base, tables.tickets.c.id < top)
        .limit(PG_WALK + 1)
        .subquery()
    )
    return session.execute(select(func.count()).select_from(rows)).scalar_one() <= PG_WALK


def _passing(
    session: Connection | Session, base: list[ColumnElement[bool]], lo: int, hi: int
) -> int:
    """How many tickets with lo <= id < hi pass the other filters (on their indexes)."""
    rows = (
        select(tables.tickets.c.id)
        .where(*base, tables.tickets.c.id >= lo, tables.tickets.c.id < hi)
        .subquery()
    )
    return session.execute(select(func.count()).select_from(rows)).scalar_one()


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
    def of(cls, session: Connection | Session, f: TicketFilter) -> _Match:
        # Their exact terms where few (gateway.store.fts_terms): a common word's prefix
        # query alone costs 80-100 ms at a million messages, its terms 0.2 ms.
        conn = session if isinstance(session, Connection) else session.connection()

        def match(query: str | None) -> str | None:
            return fts_terms.match(conn, query) if query and search.words(query) else None

        return cls(match(f.title), match(f.text))


def _dense(session: Connection | Session, q: _Match) -> bool:
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
    session: Connection | Session,
    dialect: str,
    f: TicketFilter,
    q: _Match | None,
    base: list[ColumnElement[bool]],
    lo: int | None,
    hi: int | None,
    n: int,
    tested: bool = True,
    rare: dict[str, str] | None = None,
) -> list[int]:
    """The newest `n` matching ids with lo <= id < hi (None: unbounded). SQLite: by the
    match texts `q`; PostgreSQL: each ticket tested, or (not `tested`) driven by the GIN
    matches."""
    where = list(base)
    if lo is not None:
        where.append(tables.tickets.c.id >= lo)
    if hi is not None:
        where.append(tables.tickets.c.id < hi)
    for name, words, messages in (("t", f.title, False), ("x", f.text, True)):
        if not (words and search.words(words)):
            continue
        if q is not None:  # SQLite
            match = q.title if name == "t" else q.text
            assert match is not None
            where.append(_sqlite_match(name, match, lo, hi, messages=messages))
        else:
            index = (rare or {}).get(name)
            where.append(_pg_match(name, words, hi, messages=messages, tested=tested, index=index))
    query = select(tables.tickets.c.id).where(*where).order_by(tables.tickets.c.id.desc()).limit(n)
    return list(session.scalars(query))


def _sqlite_match(
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


def _pg_match(
    name: str,
    query: str,
    hi: int | None,
    *,
    messages: bool,
    tested: bool,
    index: str | None = None,
) -> ColumnElement[bool]:
    """Tested: the ticket's stored vectors tested, its subject's then its messages' (found
    by the index of messages by ticket), by ts_match_vq, the function behind @@ (written
    as the operator, the planner would take the GIN index and read all the word's
    entries); OFFSET 0 keeps the messages a look-up per ticket tested, not a hash of the
    matches among all messages. Else the GIN look-up of the tickets below `hi`."""
    q = f"{name}_q"
    params: dict[str, Any] = {q: search.pg_query(query)}
    if tested:
        tsq = search.pg_tsquery(q)
        sql = f"ts_match_vq(tickets.{search.PG_COLUMN}, {tsq})"
        if messages:
            sql = (
                f"({sql} OR EXISTS (SELECT 1 FROM messages AS wm"
                f" WHERE wm.ticket_id = tickets.id"
                f" AND ts_match_vq(wm.{search.PG_COLUMN}, {tsq}) OFFSET 0))"
            )
        return and_(true(), text(sql).bindparams(**params))
    # The matches gathered first, then looked up: as `IN (...)` the planner merges them
    # with the tickets walked newest first, all the way down to a rare word's. The call
    # of current_schema(), PARALLEL UNSAFE (and folded away), keeps the statement from
    # a parallel plan: the planner guesses a word's matches by the thousand, and
    # starting workers cost 15-35 ms where a rare word's look-up costs 0.1 ms.
    below = None
    if hi is not None:
        params[f"{name}_hi"] = hi
        below = f"{name}_hi"
    rare = None
    if index is not None:
        rare = f"{name}_rare"
        params[rare] = index
    if messages:
        found = search.pg_either(q, below, rare)
    else:
        found = search.pg_matches("tickets", q, below, rare)
    sql = f"tickets.id = ANY(ARRAY({found})) AND (current_schema() IS NULL OR true)"
    return and_(true(), text(sql).bindparams(**params))
