"""The similar-ticket index at scale: a window of the newest rows, loaded from the table's
newest only, rows added between rebuilds weighed in a tail, the candidates' scores exact."""

from __future__ import annotations

import random
from pathlib import Path

import numpy
from sklearn.preprocessing import normalize
from sqlalchemy import insert

from bench.similar_fixture import TOPICS
from gateway.similar.index import Index
from gateway.similar.vectors import counts
from gateway.store import tickets
from gateway.store.db import Database, upgrade
from gateway.store.model import TextExample

_VOCABULARY = (
    "принтер печать бумага картридж тонер сеть wifi роутер кабель пароль учётная запись "
    "vpn клиент туннель сертификат почта outlook ящик квота диск сервер backup копия "
    "монитор экран ноутбук зарядка клавиатура мышь лицензия office установка обновление"
)
WORDS = _VOCABULARY.split(" ")


def _texts(n: int, seed: int = 3) -> list[str]:
    rnd = random.Random(seed)
    return [" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 9))) for _ in range(n)]


def _exact(rows: list[str], text: str) -> list[float]:
    """Cosine similarities by the index's own weighting, computed over every row."""
    stacked = counts(rows)
    df = numpy.bincount(stacked.indices, minlength=stacked.shape[1])
    idf = numpy.log((1.0 + len(rows)) / (1.0 + df)) + 1.0
    matrix = normalize(stacked.multiply(idf).tocsr())
    q = normalize(counts([text]).multiply(idf).tocsr())
    return [float(x) for x in numpy.asarray((matrix @ q.T).todense()).ravel()]


def test_the_best_matches_are_those_of_an_exact_search() -> None:
    rows = [text for solved, _ in TOPICS.values() for text in solved] + _texts(300)
    index = Index("t")
    index.add([(i, "", text, "") for i, text in enumerate(rows)])
    for _, held_out in TOPICS.values():
        for query in held_out:
            exact = _exact(rows, query)
            best = sorted(range(len(rows)), key=lambda i: -exact[i])[:3]
            hits = index.query(query, 3)
            assert [h.ticket_id for h in hits] == best
            assert all(abs(h.score - exact[i]) < 1e-5 for h, i in zip(hits, best, strict=True))


def test_rows_added_after_the_weighting_are_found_and_replace_theirs() -> None:
    index = Index("t")
    index.add([(i, "", text, f"a{i}") for i, text in enumerate(_texts(200))])
    assert index.query("принтер", 1)  # weighted now: the next rows wait in the tail
    index.add([(1000, "", "Зелёный плоттер шуршит", "new")])
    [hit] = index.query("плоттер шуршит", 1)
    assert (hit.ticket_id, hit.answer) == (1000, "new")
    # A ticket closed again: its old row (weighted or in the tail) is never proposed.
    index.add([(1000, "", "Синий сканер щёлкает", "again"), (5, "", "Сканер щёлкает", "five")])
    assert len(index) == 201
    found = index.query("зелёный плоттер шуршит", 5)
    assert all(h.ticket_id != 1000 for h in found)
    assert {h.ticket_id: h.answer for h in index.query("сканер щёлкает", 2)} == {
        1000: "again",
        5: "five",
    }


def test_the_window_keeps_the_newest_rows_only() -> None:
    index = Index("t", window=50)
    texts = _texts(200, seed=5)
    for i, text in enumerate(texts):
        index.add([(i, "", f"{text} уникум{i}", "")])
        index.query(text, 3)
        # Rows beyond the window wait for the next weighting: a tenth of it at most.
        assert len(index) <= 55
    assert index.query("уникум199", 1)[0].ticket_id == 199
    assert all(h.ticket_id >= 140 for h in index.query("уникум3 уникум10 уникум100", 10))


def test_a_fresh_process_loads_the_newest_rows_then_only_new_ones(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    db = Database(url)
    with db.write() as s:
        user = tickets.get_or_create_user(s, "ivan@corp.example.ru")
        ids = []
        for i in range(30):
            ticket = tickets.create_ticket(
                s, subject=f"t{i}", requester=user, source="smtp", status="closed"
            )
            ids.append(ticket.id)
        rows = [
            {"index": "solved", "ticket_id": t, "text": f"номер{n} принтер", "answer": ""}
            for n, t in enumerate(ids[:25])
        ]
        s.execute(insert(TextExample), rows)
    index = Index("solved", window=10)
    with db.read() as s:
        assert index.refresh(s) == 10
    assert {h.ticket_id for h in index.query("принтер", 30)} == set(ids[15:25])
    with db.write() as s:
        more = [{"index": "solved", "ticket_id": t, "text": "принтер"} for t in ids[25:]]
        s.execute(insert(TextExample), more)
    with db.read() as s:
        assert index.refresh(s) == 5
        assert index.refresh(s) == 0
    found = {h.ticket_id for h in index.query("принтер", 30)}
    assert set(ids[25:]) <= found and len(found) == 10
    db.dispose()
