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

A list behind its index would lose matches in silence, so the list is trusted only while
the index is as the product last left it: `fts_terms_state` holds a digest of both
indexes' structure and averages records (their segments, rows and tokens: FTS5 rewrites
them at every change) as of the last commit that kept the terms. Text indexed by
anything else (a bulk load, a tool) changes them; searches then take the prefix query
again, slower and complete, until the list is refilled (`helpdesk db upgrade`, or any
rebuild of the indexes by gateway.store.search).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
from collections.abc import Iterable, Iterator

from sqlalchemy import Connection, text

from gateway.store.fts_text import FTS_MESSAGES, FTS_TICKETS, TOKENIZE, fts5_query, words

log = logging.getLogger(__name__)

TERMS = "fts_terms"
STATE = "fts_terms_state"
_INDEXES = (FTS_TICKETS, FTS_MESSAGES)
_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TERMS} (term TEXT PRIMARY KEY) WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS {STATE} (id INTEGER PRIMARY KEY CHECK (id = 1), digest BLOB)",
)
# At most this many exact phrases replace a query's prefixes; past it the prefix query
# is kept (a one- or two-letter prefix, or a word with hundreds of forms).
MAX_PHRASES = 64
# Above every character: `term < word || _TOP` bounds the terms that start with word.
_TOP = "\U0010ffff"
# FTS5 keeps an index's averages record (rows and tokens in all) and its structure
# record (segments, write counter) at these rowids of its data table.
_RECORDS = "1, 10"

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
_STRUCTURES = text(
    " UNION ALL ".join(
        f"SELECT {i}, id, block FROM {index}_data WHERE id IN ({_RECORDS})"
        for i, index in enumerate(_INDEXES)
    )
)
_STORED = text(f"SELECT digest FROM {STATE} WHERE id = 1")
_RECORD = text(f"INSERT OR REPLACE INTO {STATE}(id, digest) VALUES (1, :digest)")


def refill(conn: Connection) -> None:
    """Create the list if needed and add every term of both indexes (a migration, a
    rebuild of the indexes, or a list found behind its index)."""
    for ddl in _DDL:
        conn.exec_driver_sql(ddl)
    for index in _INDEXES:
        vocab = f"temp.{index}_vocab_fill"
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {vocab} USING fts5vocab(main, {index}, row)"
        )
        conn.exec_driver_sql(f"INSERT OR IGNORE INTO {TERMS}(term) SELECT term FROM {vocab}")
        conn.exec_driver_sql(f"DROP TABLE {vocab}")
    _record(conn, True)


def drop(conn: Connection) -> None:
    for table in (STATE, TERMS):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")


def in_step(conn: Connection) -> bool:
    """Whether the list holds every term of the indexes (see the module's docstring)."""
    stored = conn.execute(_STORED).scalar()
    return stored is not None and bytes(stored) == _digest(conn)


@contextlib.contextmanager
def indexing(conn: Connection, texts: Iterable[str]) -> Iterator[None]:
    """Around the statements that index `texts`: their terms kept, the state moved on,
    unless the list was already behind (then it stays so until refilled)."""
    was_in_step = in_step(conn)
    yield
    batch = [{"t": t} for t in texts]
    if batch:
        _tokenize(conn, batch, _KEEP)
    _record(conn, was_in_step)


def match(conn: Connection, query: str) -> str:
    """The FTS5 MATCH text of `query`: the exact terms of its words where they are few,
    else each word a prefix (fts_text.fts5_query). Both find the same rows."""
    prefixed = fts5_query(query)
    if not in_step(conn):
        log.warning(
            "full-text search terms behind the index (text indexed by another tool): "
            "searches take longer until `helpdesk db upgrade` refills them"
        )
        return prefixed
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
            return f'"{tokens[0]}"'
        choices.append(terms)
        if _product(choices) > MAX_PHRASES:
            return prefixed
    if not choices:
        return prefixed
    return " OR ".join(
        "(" + " + ".join(f'"{t}"' for t in phrase) + ")" for phrase in itertools.product(*choices)
    )


def _record(conn: Connection, in_step: bool) -> None:
    """Record the indexes' state as the list's (in step), or the list as behind."""
    # FTS5 writes what it was given when the transaction commits or a savepoint begins:
    # a savepoint now, so that the structure recorded is the one the commit leaves.
    conn.exec_driver_sql("SAVEPOINT fts_terms")
    conn.exec_driver_sql("RELEASE fts_terms")
    conn.execute(_RECORD, {"digest": _digest(conn) if in_step else None})


def _digest(conn: Connection) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for i, rowid, block in sorted((r[0], r[1], bytes(r[2])) for r in conn.execute(_STRUCTURES)):
        h.update(b"%d:%d:%d:" % (i, rowid, len(block)) + block)
    return h.digest()


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
