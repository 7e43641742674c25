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

Plain SQL through a reader (gateway.store.reading), the conditions of gateway.store.views:
on SQLite without SQLAlchemy.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from gateway.store import fts_match, fts_rare, fts_text, reading
from gateway.store.reading import Reader
from gateway.store.views import TicketFilter, Where, conditions, user_ids, without_words

if TYPE_CHECKING:
    from sqlalchemy import Connection
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
    return fts and any(q and fts_text.words(q) for q in (f.title, f.text))


def ids(source: Reader | Connection | Session, f: TicketFilter, n: int) -> list[int]:
    """The ids of the first `n` matching tickets, newest first."""
    if n <= 0:
        return []
    read = reading.over(source)
    dialect = read.dialect
    others_only = without_words(f)
    base = conditions(others_only, dialect, user_ids(read, others_only))
    q = _Match.of(read, f) if dialect == "sqlite" else None
    if q is not None and not _dense(read, q):
        return _window(read, f, q, base, None, f.before, n)
    top = f.before
    if top is None:
        top = (read.value("SELECT max(tickets.id) AS top FROM tickets", {}) or 0) + 1
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
        tested = lo is not None or (dialect == "postgresql" and _few_left(read, others, base, top))
        pg_gin = dialect == "postgresql" and not tested
        rare = fts_rare.rare_words(read, f, max(top, start - PG_WINDOW), start) if pg_gin else {}
        found += _window(read, f, q, base, lo, top, n - len(found), tested, rare)
        if lo is None:
            break
        # The tickets the window tested: those passing the other filters (a window's
        # cost, and what the density of the matches is measured against).
        if dialect == "postgresql":  # what _near weighs (SQLite's windows need no count)
            walked += _passing(read, base, lo, top) if others and len(found) < n else top - lo
        top, width = lo, width * GROWTH
    return found


def _near(found: int, walked: int, n: int) -> bool:
    """Whether `found` matches in `walked` tickets tested put the rest of `n` within
    PG_WALK more tested."""
    return found > 0 and (n - found) * walked <= found * PG_WALK


def _count(read: Reader, where: Where, limit: int | None = None) -> int:
    """How many tickets pass `where` (counted on the filters' indexes), up to `limit`."""
    rows = f"SELECT tickets.id FROM tickets{where.clause()}"
    params = dict(where.params)
    if limit is not None:
        rows += " LIMIT :count_limit"
        params["count_limit"] = limit
    return int(read.value(f"SELECT count(*) AS n FROM ({rows}) AS counted", params))


def _few_left(read: Reader, others: bool, base: Where, top: int) -> bool:
    """Whether at most PG_WALK tickets below `top` pass the other filters: testing each
    then costs less than the GIN look-up of a common word (a requester's tickets, say).
    Counted on the filters' indexes, up to PG_WALK + 1."""
    if top - 1 <= PG_WALK:
        return True
    if not others:
        return False  # every ticket below passes
    below = base.plus("tickets.id < :walk_top", walk_top=top)
    return _count(read, below, PG_WALK + 1) <= PG_WALK


def _passing(read: Reader, base: Where, lo: int, hi: int) -> int:
    """How many tickets with lo <= id < hi pass the other filters (on their indexes)."""
    between = base.plus("tickets.id >= :walk_lo", walk_lo=lo)
    return _count(read, between.add("tickets.id < :walk_hi", walk_hi=hi))


_PROBE = {
    table: f"SELECT count(*) AS n FROM (SELECT 1 FROM {table} WHERE {table} MATCH :q LIMIT :n)"
    for table in (fts_text.FTS_TICKETS, fts_text.FTS_MESSAGES)
}


@dataclasses.dataclass(frozen=True)
class _Match:
    """The FTS5 MATCH texts of the filter's title and text words (None: not searched)."""

    title: str | None
    text: str | None

    @classmethod
    def of(cls, read: Reader, f: TicketFilter) -> _Match:
        # Their exact terms where few (gateway.store.fts_terms): a common word's prefix
        # query alone costs 80-100 ms at a million messages, its terms 0.2 ms.
        def match(query: str | None) -> str | None:
            return fts_match.match(read, query) if query and fts_text.words(query) else None

        return cls(match(f.title), match(f.text))


def _dense(read: Reader, q: _Match) -> bool:
    """Whether a searched word has more than DENSE entries in an index it is searched in."""
    probes = []
    if q.title:
        probes.append((fts_text.FTS_TICKETS, q.title))
    if q.text:
        probes += [(fts_text.FTS_TICKETS, q.text), (fts_text.FTS_MESSAGES, q.text)]
    return any(
        int(read.value(_PROBE[table], {"q": match, "n": DENSE + 1})) > DENSE
        for table, match in probes
    )


def _window(
    read: Reader,
    f: TicketFilter,
    q: _Match | None,
    base: Where,
    lo: int | None,
    hi: int | None,
    n: int,
    tested: bool = True,
    rare: dict[str, str] | None = None,
) -> list[int]:
    """The newest `n` matching ids with lo <= id < hi (None: unbounded). SQLite: by the
    match texts `q`; PostgreSQL: each ticket tested, or (not `tested`) driven by the GIN
    matches."""
    where = Where([*base.parts], {**base.params})
    if lo is not None:
        where.add("tickets.id >= :window_lo", window_lo=lo)
    if hi is not None:
        where.add("tickets.id < :window_hi", window_hi=hi)
    for name, words, messages in (("t", f.title, False), ("x", f.text, True)):
        if not (words and fts_text.words(words)):
            continue
        if q is not None:  # SQLite
            match = q.title if name == "t" else q.text
            assert match is not None
            sql, params = _sqlite_match(name, match, lo, hi, messages=messages)
        else:
            index = (rare or {}).get(name)
            sql, params = _pg_match(name, words, hi, messages=messages, tested=tested, index=index)
        where.add(sql, **params)
    sql = f"SELECT tickets.id FROM tickets{where.clause()} ORDER BY tickets.id DESC LIMIT :n"
    return [int(row["id"]) for row in read(sql, {**where.params, "n": n})]


def _sqlite_match(
    name: str, match: str, lo: int | None, hi: int | None, *, messages: bool
) -> tuple[str, dict[str, Any]]:
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
        f"tickets.id IN (SELECT rowid FROM {fts_text.FTS_TICKETS}"
        f" WHERE {fts_text.FTS_TICKETS} MATCH :{name}_q{ticket_range}"
    )
    if messages:
        sql += (
            f" UNION ALL SELECT m.ticket_id FROM messages AS m WHERE m.id IN"
            f" (SELECT rowid FROM {fts_text.FTS_MESSAGES}"
            f" WHERE {fts_text.FTS_MESSAGES} MATCH :{name}_q{message_range})"
        )
    sql += ")"
    return sql, params


def _pg_match(
    name: str,
    query: str,
    hi: int | None,
    *,
    messages: bool,
    tested: bool,
    index: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """Tested: the ticket's stored vectors tested, its subject's then its messages' (found
    by the index of messages by ticket), by ts_match_vq, the function behind @@ (written
    as the operator, the planner would take the GIN index and read all the word's
    entries); OFFSET 0 keeps the messages a look-up per ticket tested, not a hash of the
    matches among all messages. Else the GIN look-up of the tickets below `hi`."""
    q = f"{name}_q"
    params: dict[str, Any] = {q: fts_text.pg_query(query)}
    if tested:
        tsq = fts_text.pg_tsquery(q)
        sql = f"ts_match_vq(tickets.{fts_text.PG_COLUMN}, {tsq})"
        if messages:
            sql = (
                f"({sql} OR EXISTS (SELECT 1 FROM messages AS wm"
                f" WHERE wm.ticket_id = tickets.id"
                f" AND ts_match_vq(wm.{fts_text.PG_COLUMN}, {tsq}) OFFSET 0))"
            )
        return sql, params
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
        found = fts_text.pg_either(q, below, rare)
    else:
        found = fts_text.pg_matches("tickets", q, below, rare)
    sql = f"tickets.id = ANY(ARRAY({found})) AND (current_schema() IS NULL OR true)"
    return sql, params
