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

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, and_, func, text, true

from gateway.store import fts_terms
from gateway.store.fts_text import FTS_MESSAGES as FTS_MESSAGES
from gateway.store.fts_text import FTS_TICKETS as FTS_TICKETS
from gateway.store.fts_text import TOKENIZE as TOKENIZE
from gateway.store.fts_text import fts5_query as fts5_query
from gateway.store.fts_text import words as words

if TYPE_CHECKING:
    from sqlalchemy.orm import QueryableAttribute, Session

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
PG_COLUMN = "search_vector"
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


def pg_query(query: str) -> str:
    """A tsquery of the words in order, each a prefix, for to_tsquery in both configs."""
    return " <-> ".join(f"{w}:*" for w in words(query))


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def like(column: ColumnElement[Any] | QueryableAttribute[str], query: str) -> ColumnElement[bool]:
    return func.lower(column).like(_like(query.lower()), escape="\\")


def matching(
    dialect: str, table: str, query: str, name: str | None = None
) -> ColumnElement[bool] | None:
    """A condition on `tickets`: the ticket's subject (table "tickets") or one of its
    messages (table "messages") matches the words; None where full-text search cannot
    serve (another database, or a text without a word). `name` names the bound text: two
    conditions of one statement need two names.

    The matches are gathered by the index first (one pass over the word's entries), then
    the newest tickets among them are listed. (Checking ticket by ticket newest first
    instead, `MATCH ... AND rowid = ?`, costs a fresh look-up of the word each time:
    slower by orders of magnitude even for a common word.)"""
    if not words(query):
        return None
    name = name or f"q_{table}"
    if dialect == "sqlite":
        if table == "tickets":
            sql = (
                f"tickets.id IN (SELECT rowid FROM {FTS_TICKETS} WHERE {FTS_TICKETS} MATCH :{name})"
            )
        else:
            sql = (
                "tickets.id IN (SELECT fm.ticket_id FROM messages AS fm WHERE fm.id IN "
                f"(SELECT rowid FROM {FTS_MESSAGES} WHERE {FTS_MESSAGES} MATCH :{name}))"
            )
        return and_(true(), text(sql).bindparams(**{name: fts5_query(query)}))
    if dialect == "postgresql":
        # The matches first, off the GIN index, then the newest of them: OFFSET 0 keeps
        # the planner from folding the subquery into a walk of the tickets newest first
        # that computes each one's tsvector until a page is found, which for a rare word
        # reads the whole table (8.7 s at a million tickets).
        sql = f"tickets.id IN ({pg_matches(table, name)} OFFSET 0)"
        return and_(true(), text(sql).bindparams(**{name: pg_query(query)}))
    return None


def pg_tsquery(name: str) -> str:
    """The tsquery of the text bound as `name`, in both configurations."""
    return (
        f"(to_tsquery('english'::regconfig, :{name}) || to_tsquery('russian'::regconfig, :{name}))"
    )


def pg_matches(table: str, name: str, below: str | None = None, index: str | None = None) -> str:
    """The ids of the tickets whose subject (table "tickets") or one of whose messages
    (table "messages") matches the tsquery text bound as `name`, off the GIN index; of
    tickets below the id bound as `below` only, if given. `index`: the bound tsquery
    text of some of the words only, looked up on the GIN index instead, each of its
    matches then tested against all the words (gateway.store.fts_walk: a rare word of
    a phrase; the look-up of a common one reads every entry of it)."""
    alias, ticket = ("ft", "id") if table == "tickets" else ("fm", "ticket_id")
    sql = (
        f"SELECT {alias}.{ticket} FROM {table} AS {alias}"
        f" WHERE {alias}.{PG_COLUMN} @@ {pg_tsquery(index or name)}"
    )
    if index:
        sql += f" AND ts_match_vq({alias}.{PG_COLUMN}, {pg_tsquery(name)})"
    return sql + (f" AND {alias}.{ticket} < :{below}" if below else "")


def pg_either(name: str, below: str | None = None, index: str | None = None) -> str:
    """The ids of the tickets whose subject or one of whose messages matches: a UNION of
    both GIN look-ups. (Two IN conditions joined by OR make the planner test every ticket
    against both sets, a walk of the whole table for a rare word; one set is joined with
    the tickets by id.)"""
    tickets = pg_matches("tickets", name, below, index)
    return f"{tickets} UNION ALL {pg_matches('messages', name, below, index)}"


def matching_subject_or_messages(dialect: str, query: str) -> ColumnElement[bool] | None:
    """PostgreSQL: the ticket's subject or one of its messages matches (`pg_either`), as
    one IN.
    None elsewhere (SQLite: gateway.store.fts_walk)."""
    if dialect != "postgresql" or not words(query):
        return None
    name = "q_either"
    sql = f"tickets.id IN ({pg_either(name)})"
    return and_(true(), text(sql).bindparams(**{name: pg_query(query)}))
