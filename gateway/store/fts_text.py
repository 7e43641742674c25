"""The text of a full-text search: its words, the FTS5 and tsquery texts they make, and
the SQL that finds their matches (plain text: the listing runs it without SQLAlchemy on
SQLite, gateway.store.plain)."""

from __future__ import annotations

import re

# SQLite's FTS5 tables: a ticket's subject (rowid = ticket id), a message's whole text
# (rowid = message id).
FTS_TICKETS = "fts_tickets"
FTS_MESSAGES = "fts_messages"
# They tokenize with this (gateway.store.search, gateway.store.fts_terms).
TOKENIZE = "unicode61 remove_diacritics 2"
# PostgreSQL: the stored tsvector column of `tickets` and `messages` (gateway.store.search).
PG_COLUMN = "search_vector"

_WORD = re.compile(r"\w+", re.UNICODE)


def words(query: str) -> list[str]:
    return _WORD.findall(query.casefold())


def fts5_query(query: str) -> str:
    """The FTS5 MATCH text: the words as one phrase, each a prefix; quotes keep FTS5's
    operators (AND, NEAR, ...) plain words."""
    return " + ".join(f'"{w}"*' for w in words(query))


def pg_query(query: str) -> str:
    """A tsquery of the words in order, each a prefix, for to_tsquery in both configs."""
    return " <-> ".join(f"{w}:*" for w in words(query))


def like_pattern(query: str) -> str:
    """The LIKE pattern (escaped by backslash) of a text anywhere, in lower case: the
    search of a text without a word."""
    value = query.lower()
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def like(column: str, name: str) -> str:
    """`column` holds the LIKE pattern bound as `name` (like_pattern), in any case."""
    return f"lower({column}) LIKE :{name} ESCAPE '\\'"


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
