"""A searched text's FTS5 MATCH by its exact terms, read without SQLAlchemy.

The read side of gateway.store.fts_terms (which says why the terms are listed, and keeps
the list): the statements a listing sends, as plain SQL through a reader
(gateway.store.reading), so that `helpdesk tickets list` on SQLite runs through sqlite3
alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from gateway.store.fts_text import FTS_MESSAGES, FTS_TICKETS, TOKENIZE, fts5_query, words
from gateway.store.reading import Reader

TERMS = "fts_terms"
STATE = "fts_terms_state"
INDEXES = (FTS_TICKETS, FTS_MESSAGES)
# At most this many exact phrases replace a query's prefixes; past it the prefix query
# is kept (a one- or two-letter prefix, or a word with hundreds of forms).
MAX_PHRASES = 64
# Above every character: `term < word || _TOP` bounds the terms that start with word.
_TOP = "\U0010ffff"
# FTS5 keeps an index's averages record (rows and tokens in all) and its structure
# record (segments, write counter) at these rowids of its data table.
_RECORDS = "1, 10"

SCRATCH = "fts_scratch"
SCRATCH_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{SCRATCH} USING fts5("
    f"t, content='', tokenize='{TOKENIZE}')",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{SCRATCH}_vocab "
    f"USING fts5vocab(temp, {SCRATCH}, row)",
)
SCRATCH_ADD = f"INSERT INTO temp.{SCRATCH}(t) VALUES (:t)"
SCRATCH_CLEAR = f"INSERT INTO temp.{SCRATCH}({SCRATCH}) VALUES('delete-all')"
SCRATCH_TERMS = f"SELECT term FROM temp.{SCRATCH}_vocab"
_STARTING = f"SELECT term FROM {TERMS} WHERE term >= :w AND term < :top LIMIT :n"
STRUCTURES = " UNION ALL ".join(
    f"SELECT {i} AS i, id, block FROM {index}_data WHERE id IN ({_RECORDS})"
    for i, index in enumerate(INDEXES)
)
STORED = f"SELECT digest FROM {STATE} WHERE id = 1"


def digest(records: Iterable[tuple[int, int, bytes]]) -> bytes:
    """The digest of the indexes' structure and averages records (STRUCTURES' rows)."""
    # Imported here, as logging below: 10-20 ms of a listing's start that only a search
    # needs.
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    for i, rowid, block in sorted((r[0], r[1], bytes(r[2])) for r in records):
        h.update(b"%d:%d:%d:" % (i, rowid, len(block)) + block)
    return h.digest()


def in_step(read: Reader) -> bool:
    """Whether the list holds every term of the indexes (gateway.store.fts_terms)."""
    stored = read.value(STORED, {})
    records = [(r["i"], r["id"], r["block"]) for r in read(STRUCTURES, {})]
    return stored is not None and bytes(stored) == digest(records)


def tokens(read: Reader, word: str) -> list[str]:
    """FTS5's terms of `word`, by a scratch table with the indexes' tokenizer."""
    # Each time: the TEMP schema's tables are transactional too, and a read session's
    # rollback takes back the ones it made.
    for ddl in SCRATCH_DDL:
        read(ddl, {})
    read(SCRATCH_ADD, {"t": word})
    found = [row["term"] for row in read(SCRATCH_TERMS, {})]
    read(SCRATCH_CLEAR, {})
    return found


def match(read: Reader, query: str) -> str:
    """The FTS5 MATCH text of `query`: the exact terms of its words where they are few,
    else each word a prefix (fts_text.fts5_query). Both find the same rows."""
    prefixed = fts5_query(query)
    if not in_step(read):
        import logging

        logging.getLogger(__name__).warning(
            "full-text search terms behind the index (text indexed by another tool): "
            "searches take longer until `helpdesk db upgrade` refills them"
        )
        return prefixed
    choices: list[list[str]] = []
    for word in words(query):
        found = tokens(read, word)
        if len(found) != 1:
            # FTS5 splits the word itself ("a_b"): the prefix then applies to its last
            # part only, which the prefix query keeps as it is.
            return prefixed
        params = {"w": found[0], "top": found[0] + _TOP, "n": MAX_PHRASES + 1}
        terms = [row["term"] for row in read(_STARTING, params)]
        if not terms:
            # No indexed term starts so: nothing matches (an exact phrase of the word
            # says so in a single look-up).
            return f'"{found[0]}"'
        choices.append(terms)
        if _product(choices) > MAX_PHRASES:
            return prefixed
    if not choices:
        return prefixed
    return " OR ".join(
        "(" + " + ".join(f'"{t}"' for t in phrase) + ")" for phrase in itertools.product(*choices)
    )


def _product(choices: list[list[str]]) -> int:
    n = 1
    for terms in choices:
        n *= len(terms)
    return n
