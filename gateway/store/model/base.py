"""The declarative base every table derives from, and the clock the rows default to.

The full-text structures (SQLite FTS5, PostgreSQL tsvector) are made with a schema built
from the models, as the migrations make them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase

# fts_queue for its session listeners (the SQLite full-text rows written at commit):
# whatever writes tickets and messages imports the model first (search.index_ticket).
from gateway.store import fts_queue as fts_queue
from gateway.store import search


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


@event.listens_for(Base.metadata, "after_create")
def _search_structures(_target: object, connection: Any, **_: object) -> None:
    """A schema made from the models (not by the migrations) gets its full-text search too."""
    search.create(connection)
