"""SQLite full-text rows, written as the outermost transaction commits rather than as they come.

FTS5 turns the terms it holds in memory into a new segment of its index at every
savepoint (its xSavepoint syncs the index), and each new segment pays for merge work in
proportion to the index's depth. The runner runs each message in a savepoint of the
batch's transaction, so a message's terms written as it was stored made a segment a
message: at a million messages that merge work was 5,101 of the 8,098 pages 200 new
tickets wrote to the WAL (25 a message, against none on an empty desk). Queued and
written once, just before the commit, a batch's terms make one segment.

The same commit adds the texts' terms to `fts_terms`, which searches look prefixes up in.

A savepoint that rolls back drops what was queued inside it; a rollback of the whole
transaction drops everything. A search inside the transaction (an agent's `#my WORDS` in
the same batch) does not see the batch's own new text: writing it there instead would put
earlier messages' rows inside the current message's savepoint, and its rollback would
take them away.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import TextClause, event
from sqlalchemy.orm import Session, SessionTransaction

from gateway.store import fts_terms

# A statement, its parameters, and the text it indexes (whose terms are kept too).
_Row = tuple[TextClause, dict[str, Any], str]

# Per session, the rows still to write; per savepoint, how many there were when it began.
_queues: weakref.WeakKeyDictionary[Session, list[_Row]] = weakref.WeakKeyDictionary()
_marks: weakref.WeakKeyDictionary[SessionTransaction, int] = weakref.WeakKeyDictionary()


def add(session: Session, statement: TextClause, params: dict[str, Any], indexed: str) -> None:
    """Write `statement` with `params`, which indexes the text `indexed`, when the
    session's transaction commits; the text's terms go to gateway.store.fts_terms."""
    _queues.setdefault(session, []).append((statement, params, indexed))


def pending(session: Session) -> int:
    """How many rows wait for the commit (for tests and diagnostics)."""
    return len(_queues.get(session, ()))


@event.listens_for(Session, "after_transaction_create")
def _mark(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        _marks[transaction] = len(_queues.get(session, ()))


@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous: SessionTransaction) -> None:
    queue = _queues.get(session)
    if not queue:
        return
    mark = _marks.get(previous)
    if previous.nested and mark is not None:
        del queue[mark:]
    elif previous.parent is None:
        queue.clear()
    # Else an inner unit of a flush failed: the whole transaction rolls back next.


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: its rows go with the outer transaction
    rows = _queues.pop(session, None)
    if not rows:
        return
    grouped: dict[TextClause, list[dict[str, Any]]] = {}
    for statement, params, _text in rows:
        grouped.setdefault(statement, []).append(params)
    connection = session.connection()
    with fts_terms.indexing(connection, [indexed for _s, _p, indexed in rows]):
        for statement, many in grouped.items():
            connection.execute(statement, many)
