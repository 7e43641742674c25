"""SQLite full-text rows are written once, as the batch's transaction commits: one FTS5
segment for a batch of savepoints, nothing of a savepoint that rolled back, nothing of a
transaction that rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gateway.store import fts_queue, listing, search
from gateway.store.fts_text import FTS_MESSAGES
from gateway.store.model import Message, Ticket
from gateway.store.tickets import create_ticket, get_or_create_user
from gateway.store.views import TicketFilter
from tests.spam.conftest import Desk

WORDS = ("принтер", "vpn", "пароль", "Drucker", "écran", "impressora", "tulostin", "打印机")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path)
    yield d
    d.db.dispose()


def _ticket(session: Session, i: int) -> Ticket:
    user = get_or_create_user(session, f"user{i % 5}@corp{i % 3}.example", "")
    ticket = create_ticket(session, subject=f"{WORDS[i % 8]} {i}", requester=user, source="smtp")
    m = Message(ticket_id=ticket.id, body=f"w{i}z", full_text=f"{WORDS[(i + 3) % 8]} w{i}z")
    m.subject = ticket.subject
    session.add(m)
    session.flush()
    search.index_message(session, m.id, m.full_text)
    return ticket


def _found(desk: Desk, *, text: str | None = None, title: str | None = None) -> list[str]:
    f = TicketFilter(text=text, title=title)
    with desk.db.read() as s:
        return [row["subject"] for row in listing.page(s, f, "HD-", limit=100).rows]


def _segments(desk: Desk) -> int:
    """Rows of the message index's data table: its segments' pages and structure."""
    with desk.db.read() as s:
        return int(s.execute(text(f"SELECT count(*) FROM {FTS_MESSAGES}_data")).scalar_one())


def test_rows_are_written_at_commit_and_found(desk: Desk) -> None:
    with desk.db.write() as s:
        for i in range(8):
            _ticket(s, i)
        assert fts_queue.pending(s) == 16  # subjects and messages, not yet in the index
    assert fts_queue.pending(s) == 0
    assert _found(desk, title="Drucker") == ["Drucker 3"]
    assert _found(desk, text="w5z") == ["impressora 5"]


def test_a_savepoint_rolled_back_leaves_nothing_and_keeps_the_others(desk: Desk) -> None:
    with desk.db.write() as s:
        for i in range(6):
            try:
                with s.begin_nested():
                    _ticket(s, i)
                    if i == 2:
                        raise RuntimeError("a failing stage")
            except RuntimeError:
                pass
    for i in (0, 1, 3, 4, 5):
        assert len(_found(desk, text=f"w{i}z")) == 1, i
    assert _found(desk, text="w2z") == []
    assert _found(desk, title="пароль") == []  # ticket 2's subject went with its savepoint


def test_a_rolled_back_transaction_leaves_nothing(desk: Desk) -> None:
    with pytest.raises(RuntimeError), desk.db.write() as s:
        _ticket(s, 1)
        raise RuntimeError("the batch failed")
    with desk.db.write() as s:
        _ticket(s, 2)
    assert _found(desk, text="w1z") == []
    assert _found(desk, text="w2z") == ["пароль 2"]


def test_a_batch_of_savepoints_is_one_segment(desk: Desk) -> None:
    """As few index rows as one plain transaction's: FTS5 would flush a segment at every
    savepoint (written as they came, these 200 added 9 rows, where one segment adds 1)."""
    empty = _segments(desk)
    with desk.db.write() as s:
        for i in range(200):
            with s.begin_nested():
                _ticket(s, i)
    assert _segments(desk) - empty <= 1  # one leaf of a single segment
    assert len(_found(desk, text="w199z")) == 1 and len(_found(desk, text="w17z")) == 1
