"""Full-text listings walked newest first in windows, on SQLite and on PostgreSQL: the
same tickets, in the same order, as gathering every match (and as the listing's plain
conditions); replies to old tickets found in their window."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from gateway.store import fts_walk, listing, search
from gateway.store.model import Message, Ticket
from gateway.store.reading import over
from gateway.store.tickets import create_ticket, get_or_create_user
from gateway.store.views import TicketFilter, conditions
from tests.listing.test_plans import capture, full_scans
from tests.postgres import private_postgres
from tests.spam.conftest import Desk

SENDERS = ("ivan@corp.example.ru", "olga@почта.рф", "bob@mail.example.com", "kim@lab.test")
WORDS = ("принтер", "vpn", "пароль", "mailbox", "Drucker", "zugang", "écran", "impressora")


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    with private_postgres() as url:
        yield url


@pytest.fixture
def sqlite_desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path)
    yield d
    d.db.dispose()


def _clean(url: str) -> str:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    """A desk on SQLite, or on a clean database of a private PostgreSQL cluster."""
    url = None
    if request.param == "postgresql":
        url = _clean(request.getfixturevalue("pg_server"))
    d = Desk(tmp_path, url=url)
    yield d
    d.db.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def filled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    """A desk of 400 tickets (`fill`), made once for the tests that only read it; on
    PostgreSQL in a database of its own, which the other tests' clean-ups leave alone."""
    url = None
    if request.param == "postgresql":
        server = request.getfixturevalue("pg_server")
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS walk_filled")
            conn.exec_driver_sql("CREATE DATABASE walk_filled")
        engine.dispose()
        url = server.rsplit("/", 1)[0] + "/walk_filled"
    d = Desk(tmp_path_factory.mktemp(request.param), url=url)
    fill(d, 400)
    yield d
    d.db.dispose()


@pytest.fixture
def pg_desk(pg_server: str, tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path, url=_clean(pg_server))
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


def plain(session: Session, f: TicketFilter) -> list[int]:
    """The matches by the listing's plain conditions (every match gathered), newest first."""
    read = over(session)
    where = conditions(f, read.dialect)
    sql = f"SELECT tickets.id FROM tickets{where.clause()} ORDER BY tickets.id DESC"
    return [row["id"] for row in read(sql, where.params)]


# PostgreSQL walks windows while the matches found are dense enough (PG_WALK), then looks
# the rest up: every window, or the look-up after the first.
WALKS = [pytest.param(10**9, id="all-windows"), pytest.param(0, id="then-gin")]


@pytest.mark.parametrize("pg_walk", WALKS)
@pytest.mark.parametrize("f", FILTERS, ids=repr)
def test_windows_find_what_gathering_every_match_finds(
    filled: Desk, monkeypatch: pytest.MonkeyPatch, f: TicketFilter, pg_walk: int
) -> None:
    desk = filled
    with desk.db.read() as s:
        everything = plain(s, f)
        gathered = fts_walk.ids(s, f, 10_000)
        first = fts_walk.ids(s, f, 7)
        monkeypatch.setattr(fts_walk, "DENSE", 0)
        monkeypatch.setattr(fts_walk, "WINDOW", 16)
        monkeypatch.setattr(fts_walk, "PG_WINDOW", 16)
        monkeypatch.setattr(fts_walk, "GROWTH", 2)
        monkeypatch.setattr(fts_walk, "PG_WALK", pg_walk)
        sent = capture(desk)
        walked = fts_walk.ids(s, f, 10_000)
        windows = len(sent)
        walked_first = fts_walk.ids(s, f, 7)
        streamed = [r["id"] for r in listing.stream(s, f, "HD")]
    assert (gathered == []) == (f.text == "nothingmatches")
    assert gathered == everything
    assert walked == gathered
    assert first == walked_first == gathered[:7]
    assert streamed == gathered
    if f.text == "rareword":
        assert len(gathered) == 10  # the late replies, each found on its old ticket
    if desk.db.engine.dialect.name == "postgresql":
        # The walk as set: the first window, then the rest looked up in one statement;
        # or, for a common word, windows of 16, 32, 64, 128 tickets and the rest (fewer
        # than PG_WALK) tested too.
        tested = [sql for sql, _ in sent[:windows] if "ts_match_vq" in sql]
        looked_up = [sql for sql, _ in sent[:windows] if "ANY(ARRAY(" in sql]
        if pg_walk == 0:
            assert (len(tested), len(looked_up)) == (1, 1)
        else:
            assert looked_up == []
            if f in FILTERS[:3]:
                assert len(tested) == 5


def test_few_tickets_left_by_the_other_filters_are_tested_not_looked_up(
    pg_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL, a common word of one requester's tickets: past the first window, the
    requester's other tickets (fewer than PG_WALK) are tested one by one; the GIN
    look-up of the word would read every entry of it."""
    fill(pg_desk, 400)
    f = TicketFilter(text="vpn", requester="olga@почта.рф")
    monkeypatch.setattr(fts_walk, "PG_WINDOW", 16)
    monkeypatch.setattr(fts_walk, "PG_WALK", 150)  # below the desk, above her 100
    with pg_desk.db.read() as s:
        everything = plain(s, f)
        sent = capture(pg_desk)
        walked = fts_walk.ids(s, f, 10_000)
    assert walked == everything and len(walked) > 50
    statements = [sql for sql, _ in sent if "FROM tickets" in sql]
    assert not any("ANY(ARRAY(" in sql for sql in statements), statements
    assert sum("ts_match_vq" in sql for sql in statements) == 2  # the window, the rest


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
    sqlite_desk: Desk, monkeypatch: pytest.MonkeyPatch, f: TicketFilter
) -> None:
    desk = sqlite_desk
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


def test_users_are_looked_up_before_their_tickets(desk: Desk) -> None:
    """A requester or an assignee: the user's id is found first and written into the
    ticket statements (PostgreSQL plans with that id's own share of the tickets); no
    such user lists nothing. The same tickets as the plain conditions' subquery."""
    fill(desk, 60)
    with desk.db.write() as s:
        agent = get_or_create_user(s, "agent@example.com", "Agent")
        idle = get_or_create_user(s, "idle@example.com", "Idle")
        s.execute(update(Ticket).where(Ticket.id % 3 == 1).values(assignee_id=agent.id))
    filters = [
        TicketFilter(assignee="AGENT@example.com"),
        TicketFilter(assignee="idle@example.com"),
        TicketFilter(assignee="nobody@example.com"),
        TicketFilter(requester="olga@почта.рф", assignee="agent@example.com"),
        TicketFilter(requester="nobody@example.com", open=True),
        TicketFilter(text="vpn", assignee="agent@example.com"),
    ]
    with desk.db.read() as s:
        for f in filters:
            everything = plain(s, f)
            sent = capture(desk)
            page = listing.page(s, f, "HD", limit=4)
            streamed = [r["id"] for r in listing.stream(s, f, "HD")]
            assert [r["id"] for r in page.rows] == everything[:4], f
            assert page.more == max(0, len(everything) - 4) and streamed == everything, f
            tickets = [sql for sql, _ in sent if "FROM tickets" in sql]
            assert tickets and not any(
                "FROM users" in sql.split("FROM tickets")[1] for sql in tickets
            )
            if f.assignee == "idle@example.com":
                assert f"assignee_id = {idle.id}" in " ".join(tickets)
        assert (
            len(plain(s, filters[0])) == 20
            and len(plain(s, filters[3])) > 2
            and plain(s, filters[1]) == []
        )


PHRASES = [
    TicketFilter(text="принтер zebra"),  # the rare word's messages, on old tickets
    TicketFilter(text="vpn zebra"),  # never in a row
    TicketFilter(title="vpn zebra"),
    TicketFilter(text="zebra принтер"),  # the rare word first
]


@pytest.mark.parametrize("f", PHRASES, ids=repr)
def test_a_phrase_with_a_rare_word_is_looked_up_by_that_word(
    pg_desk: Desk, monkeypatch: pytest.MonkeyPatch, f: TicketFilter
) -> None:
    """PostgreSQL: past the first window, the GIN look-up of a phrase of a common word and
    a rare one reads the rare word's entries only (the common one's are most of the
    index) and tests each match against the whole phrase."""
    fill(pg_desk, 300)
    with pg_desk.db.write() as s:
        for t in s.scalars(select(Ticket).where(Ticket.id <= 100, Ticket.id % 20 == 3)):
            _message(s, t, "the printer says: принтер zebra error")
            _message(s, t, "zebra alone, and принтер alone")
    monkeypatch.setattr(fts_walk, "PG_WINDOW", 16)
    monkeypatch.setattr(fts_walk, "PG_WALK", 0)
    with pg_desk.db.read() as s:
        everything = plain(s, f)
        sent = capture(pg_desk)
        walked = fts_walk.ids(s, f, 10_000)
    assert walked == everything
    assert len(walked) == (5 if f.text == "принтер zebra" else 0)
    [looked_up] = [params for sql, params in sent if "ANY(ARRAY(" in sql]
    name = "t" if f.title else "x"
    assert looked_up[f"{name}_rare"] == "zebra:*"


@pytest.mark.parametrize(
    "f",
    [
        *FILTERS[:4],
        TicketFilter(requester="kim@lab.test", open=True),
        TicketFilter(requester="nobody@x.test"),
    ],
    ids=repr,
)
def test_an_agents_my_finds_the_newest_as_a_page_does(filled: Desk, f: TicketFilter) -> None:
    """`#my`'s tickets (listing.tickets): the newest matches, found by the walk and the
    user look-up as a page is."""
    with filled.db.read() as s:
        assert [t.id for t in listing.tickets(s, f, 7)] == plain(s, f)[:7]
