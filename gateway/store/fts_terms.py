"""The terms of SQLite's full-text indexes, so that a searched word is looked up by its exact terms.

A search takes each word as a prefix ("принтер" finds "принтера"). FTS5 answers a prefix
query by merging the entries of every term with that prefix across the whole index
before any other condition applies: 80-100 ms for a word in half the messages at a
million tickets, even for the newest fifty, against 0.15 ms for the same word as an
exact term. The table `fts_terms` lists every term given to the two indexes; a query's
prefixes are replaced by their terms (an OR of exact phrases) where there are few, which
FTS5 answers from the entries it needs only.

The terms are FTS5's own, never a guess at its tokenizer: a text is tokenized by a
scratch FTS5 table with the same tokenizer in the connection's TEMP schema, and that
table's vocabulary is copied. So the list cannot miss a term the index has; a term no
longer in the index (its message purged) is harmless: it matches nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from sqlalchemy import Connection, text

from gateway.store.fts_text import TOKENIZE, fts5_query, words

TERMS = "fts_terms"
DDL = f"CREATE TABLE IF NOT EXISTS {TERMS} (term TEXT PRIMARY KEY) WITHOUT ROWID"
DROP = f"DROP TABLE IF EXISTS {TERMS}"
# At most this many exact phrases replace a query's prefixes; past it the prefix query
# is kept (a one- or two-letter prefix, or a word with hundreds of forms).
MAX_PHRASES = 64
# Above every character: `term < word || _TOP` bounds the terms that start with word.
_TOP = "\U0010ffff"

_SCRATCH = "fts_scratch"
_SCRATCH_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_SCRATCH} USING fts5("
    f"t, content='', tokenize='{TOKENIZE}')",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_SCRATCH}_vocab "
    f"USING fts5vocab(temp, {_SCRATCH}, row)",
)
_SCRATCH_ADD = text(f"INSERT INTO temp.{_SCRATCH}(t) VALUES (:t)")
_SCRATCH_CLEAR = f"INSERT INTO temp.{_SCRATCH}({_SCRATCH}) VALUES('delete-all')"
_SCRATCH_TERMS = f"SELECT term FROM temp.{_SCRATCH}_vocab"
_KEEP = f"INSERT OR IGNORE INTO {TERMS}(term) {_SCRATCH_TERMS}"
_STARTING = text(f"SELECT term FROM {TERMS} WHERE term >= :w AND term < :top LIMIT :n")


def fill(conn: Connection, index: str) -> None:
    """Add every term of the FTS5 table `index` (a migration's first fill)."""
    vocab = f"temp.{index}_vocab_fill"
    conn.exec_driver_sql(f"CREATE VIRTUAL TABLE {vocab} USING fts5vocab(main, {index}, row)")
    conn.exec_driver_sql(f"INSERT OR IGNORE INTO {TERMS}(term) SELECT term FROM {vocab}")
    conn.exec_driver_sql(f"DROP TABLE {vocab}")


def keep(conn: Connection, texts: Iterable[str]) -> None:
    """Add the terms of `texts` (in the transaction that indexes them)."""
    batch = [{"t": t} for t in texts]
    if batch:
        _tokenize(conn, batch, _KEEP)


def match(conn: Connection, query: str) -> str:
    """The FTS5 MATCH text of `query`: the exact terms of its words where they are few,
    else each word a prefix (search.fts5_query). Both find the same rows."""
    prefixed = fts5_query(query)
    choices: list[list[str]] = []
    for word in words(query):
        tokens = [row[0] for row in _tokenize(conn, [{"t": word}], _SCRATCH_TERMS)]
        if len(tokens) != 1:
            # FTS5 splits the word itself ("a_b"): the prefix then applies to its last
            # part only, which the prefix query keeps as it is.
            return prefixed
        params = {"w": tokens[0], "top": tokens[0] + _TOP, "n": MAX_PHRASES + 1}
        terms = list(conn.execute(_STARTING, params).scalars())
        if not terms:
            # No indexed term starts so: nothing matches (an exact phrase of the word
            # says so in a single look-up).
            return " + ".join(f'"{t}"' for t in tokens)
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


def _tokenize(conn: Connection, batch: list[dict[str, str]], then: str) -> list[tuple[str]]:
    """Put `batch` through the scratch table's tokenizer, run `then` on its vocabulary."""
    # Each time: the TEMP schema's tables are transactional too, and a read session's
    # rollback takes back the ones it made.
    for ddl in _SCRATCH_DDL:
        conn.exec_driver_sql(ddl)
    conn.execute(_SCRATCH_ADD, batch)
    result = conn.exec_driver_sql(then)
    rows = [tuple(r) for r in result] if result.returns_rows else []
    conn.exec_driver_sql(_SCRATCH_CLEAR)
    return rows
