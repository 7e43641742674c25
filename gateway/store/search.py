"""Full-text search of tickets: SQLite FTS5 tables, PostgreSQL tsvector indexes, LIKE else.

SQLite: two external-content FTS5 tables, `fts_tickets` (the subject, rowid = ticket id)
and `fts_messages` (the whole text, rowid = message id). They hold only the index; the
text stays in `tickets` and `messages`. No trigger keeps them in step (a trigger or view
over `tickets` would break a later batch rebuild of that table): the code that writes a
ticket or a message calls `index_ticket` / `index_message` in the same transaction, which
writes the rows as that transaction commits (gateway.store.fts_queue says why).
Tickets' subjects and messages' texts are never changed after they are written, so an
insert is all the upkeep there is.

PostgreSQL: a stored generated column `search_vector` on each of the two tables, the
English and the Russian `tsvector` of the same column, with a GIN index; PostgreSQL keeps
both itself. The column (not only an index over the expression) lets a listing test the
tickets of a window one by one: reading a stored vector costs a microsecond, computing it
again ~150 (gateway.store.fts_walk).

A query is made of the words of the searched text, each a prefix, as one phrase ("vpn
clie" finds "VPN client"); a text without any word falls back to LIKE.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from gateway.store import fts_terms
from gateway.store.fts_text import FTS_MESSAGES, FTS_TICKETS, PG_COLUMN, TOKENIZE

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Tables FTS5 makes for its own use beside each virtual table (Alembic must ignore them).
FTS_PREFIX = "fts_"

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TICKETS} USING fts5("
    f"subject, content='tickets', content_rowid='id', tokenize='{TOKENIZE}')",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_MESSAGES} USING fts5("
    f"full_text, content='messages', content_rowid='id', tokenize='{TOKENIZE}')",
)
SQLITE_REBUILD = (
    f"INSERT INTO {FTS_TICKETS}({FTS_TICKETS}) VALUES('rebuild')",
    f"INSERT INTO {FTS_MESSAGES}({FTS_MESSAGES}) VALUES('rebuild')",
)
SQLITE_DROP = (f"DROP TABLE IF EXISTS {FTS_TICKETS}", f"DROP TABLE IF EXISTS {FTS_MESSAGES}")

# Long texts are indexed by their first characters: a tsvector has a 1 MB limit, and a
# mail past it must still be stored.
PG_INDEXED_CHARS = 100_000
# The searched text of each table.
PG_SOURCES = {"tickets": "subject", "messages": "full_text"}


def pg_vector(column: str) -> str:
    """The vector of a text: the generated column's expression."""
    return (
        f"(to_tsvector('english'::regconfig, left({column}, {PG_INDEXED_CHARS})) || "
        f"to_tsvector('russian'::regconfig, left({column}, {PG_INDEXED_CHARS})))"
    )


PG_INDEXES = {"tickets": "ix_tickets_search", "messages": "ix_messages_search"}
PG_DDL = tuple(
    f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {PG_COLUMN} tsvector"
    f" GENERATED ALWAYS AS ({pg_vector(source)}) STORED"
    for table, source in PG_SOURCES.items()
) + tuple(
    f"CREATE INDEX IF NOT EXISTS {PG_INDEXES[table]} ON {table} USING gin ({PG_COLUMN})"
    for table in PG_SOURCES
)
# Revisions 0009-0023 indexed the expression itself, without a column.
PG_EXPRESSION_INDEXES = {"tickets": "ix_tickets_fts", "messages": "ix_messages_fts"}
PG_EXPRESSION_DDL = tuple(
    f"CREATE INDEX IF NOT EXISTS {PG_EXPRESSION_INDEXES[table]} ON {table}"
    f" USING gin ({pg_vector(source)})"
    for table, source in PG_SOURCES.items()
)
PG_DROP = tuple(
    f"DROP INDEX IF EXISTS {name}"
    for name in (*PG_INDEXES.values(), *PG_EXPRESSION_INDEXES.values())
) + tuple(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {PG_COLUMN}" for table in PG_SOURCES)


def create(conn: Connection) -> None:
    """The search structures of the connection's database, built from the rows there."""
    name = conn.dialect.name
    if name == "sqlite":
        for statement in SQLITE_DDL + SQLITE_REBUILD:
            conn.exec_driver_sql(statement)
        fts_terms.refill(conn)
    elif name == "postgresql":
        for statement in PG_DDL:
            conn.exec_driver_sql(statement)


def drop(conn: Connection) -> None:
    name = conn.dialect.name
    if name == "sqlite":
        fts_terms.drop(conn)
    for statement in SQLITE_DROP if name == "sqlite" else PG_DROP if name == "postgresql" else ():
        conn.exec_driver_sql(statement)


# On the session's connection, as gateway.store.rows does: no ORM bulk machinery.
_ADD_TICKET = text(f"INSERT INTO {FTS_TICKETS}(rowid, subject) VALUES (:id, :subject)")
_ADD_MESSAGE = text(f"INSERT INTO {FTS_MESSAGES}(rowid, full_text) VALUES (:id, :text)")


def index_ticket(session: Session, ticket_id: int, subject: str) -> None:
    """Add a new ticket's subject to the SQLite index (PostgreSQL indexes it itself)."""
    # Imported here, not at the top: its session listeners import sqlalchemy.orm, which
    # a listing does not need. gateway.store.model imports it, so the listeners are in
    # place before any session that writes a ticket begins.
    from gateway.store import fts_queue

    if _dialect(session) == "sqlite":
        fts_queue.add(session, _ADD_TICKET, {"id": ticket_id, "subject": subject}, subject)


def index_message(session: Session, message_id: int, full_text: str) -> None:
    """Add a new message's text to the SQLite index."""
    from gateway.store import fts_queue

    if _dialect(session) == "sqlite":
        fts_queue.add(session, _ADD_MESSAGE, {"id": message_id, "text": full_text}, full_text)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name
