"""Which word of a searched phrase to look up on PostgreSQL's GIN index.

A GIN look-up of words joined reads every entry of each word, whatever the others: a
phrase that never occurs, of a common word and a rare one (`vpn clie`), read all of
`vpn`'s million entries to find nothing (250 ms at a million tickets). When the newest
tickets show one word clearly rarer, the look-up takes that word's entries only, each
then tested against the whole phrase (gateway.store.search.pg_matches, `index`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text

from gateway.store import search
from gateway.store.views import TicketFilter

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# A word found this many times less often than another among the tickets probed is
# looked up alone.
RARER = 8


def rare_words(session: Connection | Session, f: TicketFilter, lo: int, hi: int) -> dict[str, str]:
    """PostgreSQL, before a GIN look-up: for a searched text of several words with one
    clearly rarer than the rest among the tickets with lo <= id < hi (the first window's,
    tested already), the tsquery text of that word, by the text's name in the
    statement ("t" title, "x" text)."""
    found: dict[str, str] = {}
    for name, query, messages in (("t", f.title, False), ("x", f.text, True)):
        terms = search.words(query) if query else []
        if len(terms) < 2 or lo >= hi:
            continue
        params: dict[str, Any] = {"lo": lo, "hi": hi}
        counts = []
        for i, term in enumerate(terms):
            params[f"w{i}"] = search.pg_query(term)
            tsq = search.pg_tsquery(f"w{i}")
            test = f"ts_match_vq(tickets.{search.PG_COLUMN}, {tsq})"
            if messages:
                test += (
                    f" OR EXISTS (SELECT 1 FROM messages AS wm WHERE wm.ticket_id = tickets.id"
                    f" AND ts_match_vq(wm.{search.PG_COLUMN}, {tsq}) OFFSET 0)"
                )
            counts.append(f"count(*) FILTER (WHERE {test})")
        sql = (
            f"SELECT {', '.join(counts)} FROM tickets WHERE tickets.id >= :lo AND tickets.id < :hi"
        )
        seen = list(session.execute(text(sql), params).one())
        rarest = min(range(len(terms)), key=lambda i: seen[i])
        # Clearly rarer: the look-up of its entries and the test of each against the
        # phrase then cost less than reading the other words' entries.
        if seen[rarest] * RARER < max(seen):
            found[name] = search.pg_query(terms[rarest])
    return found
