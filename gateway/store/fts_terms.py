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

The look-up of a searched word's terms, which the listing sends without SQLAlchemy, is
gateway.store.fts_match; this module keeps the list as text is indexed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from sqlalchemy import Connection, text

from gateway.store import fts_match, reading
from gateway.store.fts_match import (
    INDEXES,
    SCRATCH_CLEAR,
    SCRATCH_DDL,
    SCRATCH_TERMS,
    STATE,
    STRUCTURES,
    TERMS,
)

_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TERMS} (term TEXT PRIMARY KEY) WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS {STATE} (id INTEGER PRIMARY KEY CHECK (id = 1), digest BLOB)",
)
_SCRATCH_ADD = text(fts_match.SCRATCH_ADD)
_KEEP = f"INSERT OR IGNORE INTO {TERMS}(term) {SCRATCH_TERMS}"
_RECORD = text(f"INSERT OR REPLACE INTO {STATE}(id, digest) VALUES (1, :digest)")


def refill(conn: Connection) -> None:
    """Create the list if needed and add every term of both indexes (a migration, a
    rebuild of the indexes, or a list found behind its index)."""
    for ddl in _DDL:
        conn.exec_driver_sql(ddl)
    for index in INDEXES:
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
    return fts_match.in_step(reading.over(conn))


@contextlib.contextmanager
def indexing(conn: Connection, texts: Iterable[str]) -> Iterator[None]:
    """Around the statements that index `texts`: their terms kept, the state moved on,
    unless the list was already behind (then it stays so until refilled)."""
    was_in_step = in_step(conn)
    yield
    batch = [{"t": t} for t in texts]
    if batch:
        # One executemany through the scratch table's tokenizer, its terms kept.
        for ddl in SCRATCH_DDL:
            conn.exec_driver_sql(ddl)
        conn.execute(_SCRATCH_ADD, batch)
        conn.exec_driver_sql(_KEEP)
        conn.exec_driver_sql(SCRATCH_CLEAR)
    _record(conn, was_in_step)


def match(conn: Connection, query: str) -> str:
    """The FTS5 MATCH text of `query` (gateway.store.fts_match.match) on a connection."""
    return fts_match.match(reading.over(conn), query)


def _record(conn: Connection, in_step: bool) -> None:
    """Record the indexes' state as the list's (in step), or the list as behind."""
    # FTS5 writes what it was given when the transaction commits or a savepoint begins:
    # a savepoint now, so that the structure recorded is the one the commit leaves.
    conn.exec_driver_sql("SAVEPOINT fts_terms")
    conn.exec_driver_sql("RELEASE fts_terms")
    digest = fts_match.digest(tuple(r) for r in conn.exec_driver_sql(STRUCTURES))
    conn.execute(_RECORD, {"digest": digest if in_step else None})
