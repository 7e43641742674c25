"""Full-text listings on SQLite walked newest first in windows: the same tickets, in the
same order, as gathering every match; replies to old tickets found in their window."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from gateway.store import fts_walk, listing, search
from gateway.store.model import Message, Ticket
from gateway.store.tickets import create_ticket, get_or_create_user
from gateway.store.views import TicketFilter
from tests.listing.test_plans import capture, full_scans
from tests.spam.conftest import Desk

SENDERS = ("ivan@corp.example.ru", "olga@почта.рф", "bob@mail.example.com", "kim@lab.test")
WORDS = ("принтер", "vpn", "пароль", "mailbox", "Drucker", "zugang", "écran", "impressora")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path)
    yield d
    d.db.dispose()


def _message(session: Session, ticket: Ticket, body: str) -> None:
    m = Message(ticket_id=ticket.id, body=body, full_text=body, subject=ticket.subject)
    session.add(m)
    session.flush()
    search.index_message(session, m.id, body)


def fill(desk: Desk, n: int, seed: int = 5) -> None:
    """`n` tickets with 1-3 messages of varied languages; then replies to old tickets
    (their message ids far above the ticket's others)."""
    rng = random.Random(seed)
    with desk.db.write() as s:
        users = [get_or_create_user(s, a, "") for a in SENDERS]
        tickets = []
        for i in range(n):
            subject = f"{rng.choice(WORDS)} {i} {'vpn' if i % 7 == 0 else 'заявка'}"
            t = create_ticket(s, subject=subject, requester=users[i % 4], source="smtp")
            t.criticality = ("low", "high")[i % 2]
            tickets.append(t)
            for _ in range(rng.randint(1, 3)):
                _message(s, t, " ".join(rng.choice(WORDS) for _ in range(4)) + f" n{i}")
        for t in rng.sample(tickets[: n // 2], 10):
            _message(s, t, "late answer: rareword приложение")


FILTERS = [
    TicketFilter(text="принтер"),
    TicketFilter(text="vpn"),
    TicketFilter(title="vpn"),
    TicketFilter(text="rareword"),
    TicketFilter(text="приложение", criticality="high"),
    TicketFilter(text="zugang", requester="olga@почта.рф"),
    TicketFilter(title="заявка", text="écran"),
    TicketFilter(text="impressora", before=150),
    TicketFilter(text="nothingmatches"),
]


@pytest.mark.parametrize("f", FILTERS, ids=repr)
def test_windows_find_what_gathering_every_match_finds(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, f: TicketFilter
) -> None:
    fill(desk, 400)
    with desk.db.read() as s:
        gathered = fts_walk.ids(s, f, 10_000)
        first = fts_walk.ids(s, f, 7)
        monkeypatch.setattr(fts_walk, "DENSE", 0)
        monkeypatch.setattr(fts_walk, "WINDOW", 16)
        monkeypatch.setattr(fts_walk, "GROWTH", 2)
        walked = fts_walk.ids(s, f, 10_000)
        walked_first = fts_walk.ids(s, f, 7)
        streamed = [r["id"] for r in listing.stream(s, f, "HD")]
    assert (gathered == []) == (f.text == "nothingmatches")
    assert gathered == sorted(gathered, reverse=True)
    assert walked == gathered
    assert first == walked_first == gathered[:7]
    assert streamed == gathered
    if f.text == "rareword":
        assert len(gathered) == 10  # the late replies, each found on its old ticket


def test_page_counts_and_says_when_it_stopped(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(desk, 300)
    monkeypatch.setattr(listing, "FTS_COUNT_CAP", 20)
    with desk.db.read() as s:
        every = fts_walk.ids(s, TicketFilter(text="vpn"), 10_000)
        assert len(every) > 60
        page = listing.page(s, TicketFilter(text="vpn"), "HD", limit=10, offset=5)
        few = listing.page(s, TicketFilter(text="rareword"), "HD", limit=4)
    assert [r["id"] for r in page.rows] == every[5:15]
    assert (page.more, page.capped) == (20, True)
    assert (len(few.rows), few.more, few.capped) == (4, 6, False)


@pytest.mark.parametrize("f", FILTERS[:6], ids=repr)
def test_window_statements_read_no_table_whole(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, f: TicketFilter
) -> None:
    fill(desk, 60)
    monkeypatch.setattr(fts_walk, "DENSE", 0)
    monkeypatch.setattr(fts_walk, "WINDOW", 8)
    sent = capture(desk)
    with desk.db.read() as s:
        listing.page(s, f, "HD")
        list(listing.stream(s, f, "HD"))
    assert any("MATCH" in sql and ">=" in sql for sql, _ in sent)
    scans = full_scans(desk, sent)
    assert scans == [], "\n".join(scans)
