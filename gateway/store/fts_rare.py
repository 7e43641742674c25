"""Which word of a searched phrase to look up on PostgreSQL's GIN index.

A GIN look-up of words joined reads every entry of each word, whatever the others: a
phrase that never occurs, of a common word and a rare one (`vpn clie`), read all of
`vpn`'s million entries to find nothing (250 ms at a million tickets). When the newest
tickets show one word clearly rarer, the look-up takes that word's entries only, each
then tested against the whole phrase (gateway.store.fts_text.pg_matches, `index`).
"""

from __future__ import annotations

from typing import Any

from gateway.store import fts_text
from gateway.store.reading import Reader
from gateway.store.views import TicketFilter

# A word found this many times less often than another among the tickets probed is
# looked up alone.
RARER = 8


def rare_words(read: Reader, f: TicketFilter, lo: int, hi: int) -> dict[str, str]:
    """PostgreSQL, before a GIN look-up: for a searched text of several words with one
    clearly rarer than the rest among the tickets with lo <= id < hi (the first window's,
    tested already), the tsquery text of that word, by the text's name in the
    statement ("t" title, "x" text)."""
    found: dict[str, str] = {}
    for name, query, messages in (("t", f.title, False), ("x", f.text, True)):
        terms = fts_text.words(query) if query else []
        if len(terms) < 2 or lo >= hi:
            continue
        params: dict[str, Any] = {"lo": lo, "hi": hi}
        counts = []
        for i, term in enumerate(terms):
            params[f"w{i}"] = fts_text.pg_query(term)
            tsq = fts_text.pg_tsquery(f"w{i}")
            test = f"ts_match_vq(tickets.{fts_text.PG_COLUMN}, {tsq})"
            if messages:
                test += (
                    f" OR EXISTS (SELECT 1 FROM messages AS wm WHERE wm.ticket_id = tickets.id"
                    f" AND ts_match_vq(wm.{fts_text.PG_COLUMN}, {tsq}) OFFSET 0)"
                )
            # Named: a row of same-named columns would be one value by name.
            counts.append(f"count(*) FILTER (WHERE {test}) AS c{i}")
        sql = (
            f"SELECT {', '.join(counts)} FROM tickets WHERE tickets.id >= :lo AND tickets.id < :hi"
        )
        (row,) = read(sql, params)
        seen = [int(row[f"c{i}"]) for i in range(len(terms))]
        rarest = min(range(len(terms)), key=lambda i: seen[i])
        # Clearly rarer: the look-up of its entries and the test of each against the
        # phrase then cost less than reading the other words' entries.
        if seen[rarest] * RARER < max(seen):
            found[name] = fts_text.pg_query(terms[rarest])
    return found
