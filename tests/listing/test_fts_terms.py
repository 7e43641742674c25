"""A searched word's prefix replaced by the index's exact terms that start with it: the
same tickets as the prefix query, in every language and for phrases; the terms kept by
the commits that index text, FTS5's own tokens (case and diacritics folded as it folds)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.store import fts_match, fts_terms, fts_walk
from gateway.store.db import upgrade
from gateway.store.tickets import create_ticket, get_or_create_user
from gateway.store.views import TicketFilter
from tests.listing.test_fts_walk import _message
from tests.spam.conftest import Desk

# Inflected forms, accents, scripts and a word FTS5 splits itself (e_mail).
FORMS = {
    "принтер": ("принтер", "Принтера", "принтеры", "ПРИНТЕРОМ"),
    "écran": ("écran", "Ecran", "écrans", "ÉCRANS"),
    "drucker": ("Drucker", "Druckers", "Druckerei"),
    "vpn": ("VPN", "vpn-client", "vpnclient"),
    "打印": ("打印机", "打印"),
    "e_mail": ("e_mail", "e-mail", "email"),
}
QUERIES = [
    "принтер",
    "ПРИНТ",
    "ecran",
    "Écrans",
    "drucker",
    "vpn clie",
    "vpn",
    "打印",
    "e_mail",
    "e",
    "nothingmatches",
    "принтер nothingmatches",
]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path)
    yield d
    d.db.dispose()


def _fill(desk: Desk, n: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    every = [w for forms in FORMS.values() for w in forms]
    with desk.db.write() as s:
        users = [get_or_create_user(s, f"u{i}@host{i}.example", "") for i in range(4)]
        for i in range(n):
            subject = f"{rng.choice(every)} {i} заявка"
            ticket = create_ticket(s, subject=subject, requester=users[i % 4], source="smtp")
            for _ in range(rng.randint(1, 3)):
                _message(s, ticket, " ".join(rng.choice(every) for _ in range(3)) + f" n{i}")


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """300 tickets (`_fill`), made once for the tests that only read them."""
    d = Desk(tmp_path_factory.mktemp("filled"))
    _fill(d, 300)
    yield d
    d.db.dispose()


@pytest.mark.parametrize("query", QUERIES)
def test_exact_terms_find_what_the_prefix_finds(
    filled: Desk, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    desk = filled
    filters = (TicketFilter(text=query), TicketFilter(title=query))
    with desk.db.read() as s:
        exact = [fts_walk.ids(s, f, 10_000) for f in filters]
        monkeypatch.setattr(fts_match, "MAX_PHRASES", 0)  # every word stays a prefix
        prefixed = [fts_walk.ids(s, f, 10_000) for f in filters]
        monkeypatch.setattr(fts_match, "MAX_PHRASES", 64)
        monkeypatch.setattr(fts_walk, "DENSE", 0)  # in windows, newest first
        monkeypatch.setattr(fts_walk, "WINDOW", 16)
        walked = [fts_walk.ids(s, f, 10_000) for f in filters]
    assert exact == prefixed == walked
    assert (prefixed[0] == []) == ("nothingmatches" in query)


def test_a_common_prefix_becomes_its_exact_terms(desk: Desk) -> None:
    _fill(desk, 80)
    with desk.db.read() as s:
        conn = s.connection()
        assert fts_terms.match(conn, "Принт") == (
            '("принтер") OR ("принтера") OR ("принтером") OR ("принтеры")'
        )
        assert fts_terms.match(conn, "ECRAN") == '("ecran") OR ("ecrans")'  # folded as FTS5 does
        phrase = fts_terms.match(conn, "vpn clie")
        assert phrase == '("vpn" + "client") OR ("vpnclient" + "client")'
        assert fts_terms.match(conn, "nothingmatches") == '"nothingmatches"'
        assert fts_terms.match(conn, "e_mail") == '"e_mail"*'  # FTS5 splits it: kept a prefix
        # A prefix of more terms than MAX_PHRASES (n0 ... n79): the prefix query.
        assert fts_terms.match(conn, "n") == '"n"*'


def test_read_sessions_one_after_another(desk: Desk) -> None:
    """A read session ends in a rollback, which takes back the scratch tables it made."""
    _fill(desk, 20)
    for _ in range(3):
        with desk.db.read() as s:
            assert fts_walk.ids(s, TicketFilter(text="drucker"), 100)


def test_terms_are_kept_by_the_commit_not_by_a_rollback(desk: Desk) -> None:
    def terms() -> set[str]:
        with desk.db.read() as s:
            return set(s.execute(text(f"SELECT term FROM {fts_match.TERMS}")).scalars())

    with desk.db.write() as s:
        user = get_or_create_user(s, "kim@lab.test", "")
        ticket = create_ticket(s, subject="Zugang gesperrt", requester=user, source="smtp")
        _message(s, ticket, "Mot de passe oublié, Пароль")
    with pytest.raises(RuntimeError), desk.db.write() as s:
        ticket = create_ticket(s, subject="tulostin", requester=user, source="smtp")
        raise RuntimeError("the batch failed")
    assert {"zugang", "gesperrt", "mot", "de", "passe", "oublie", "пароль"} <= terms()
    assert "tulostin" not in terms()


def test_text_indexed_behind_the_products_back_is_still_found(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    """A bulk load straight into the index leaves the list behind: searches fall back to
    the prefix query (complete), and `db upgrade` refills the list."""
    _fill(desk, 30)
    with desk.db.write() as s:
        user = get_or_create_user(s, "lena@corp.example", "")
        ticket = create_ticket(s, subject="Bulk", requester=user, source="import")
    with desk.db.write() as s:  # as a loader would: the rows, then FTS5's own rebuild
        s.execute(
            text(
                "INSERT INTO messages (ticket_id, kind, hidden, subject, body, quoted,"
                " signature, full_text, html, parse_problems, created_at) VALUES"
                " (:t, 'public', 0, 'Bulk', '', '', '', 'Принтерная зависла', '', '[]',"
                " '2026-01-05 10:00:00')"
            ),
            {"t": ticket.id},
        )
        s.execute(text("INSERT INTO fts_messages(fts_messages) VALUES('rebuild')"))
    with desk.db.read() as s:
        assert not fts_terms.in_step(s.connection())
        assert fts_terms.match(s.connection(), "принтер") == '"принтер"*'
        assert ticket.id in fts_walk.ids(s, TicketFilter(text="принтер"), 10_000)
    assert "behind the index" in caplog.text
    upgrade(desk.cfg.database_url)
    with desk.db.read() as s:
        assert fts_terms.in_step(s.connection())
        assert "принтерная" in fts_terms.match(s.connection(), "принтер")
        assert ticket.id in fts_walk.ids(s, TicketFilter(text="принтер"), 10_000)
    _fill(desk, 5, seed=3)  # the product's own commits keep it in step
    with desk.db.read() as s:
        assert fts_terms.in_step(s.connection())
