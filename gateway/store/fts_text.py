"""The text of a full-text search: its words, and the FTS5 query and tokenizer they go with."""

from __future__ import annotations

import re

# SQLite's FTS5 tables: a ticket's subject (rowid = ticket id), a message's whole text
# (rowid = message id).
FTS_TICKETS = "fts_tickets"
FTS_MESSAGES = "fts_messages"
# They tokenize with this (gateway.store.search, gateway.store.fts_terms).
TOKENIZE = "unicode61 remove_diacritics 2"

_WORD = re.compile(r"\w+", re.UNICODE)


def words(query: str) -> list[str]:
    return _WORD.findall(query.casefold())


def fts5_query(query: str) -> str:
    """The FTS5 MATCH text: the words as one phrase, each a prefix; quotes keep FTS5's
    operators (AND, NEAR, ...) plain words."""
    return " + ".join(f'"{w}"*' for w in words(query))
