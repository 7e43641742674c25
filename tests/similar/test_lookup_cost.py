"""What keeps a lookup's cost flat as the desk grows: a query's text hashed without the
vectorizer's machinery (the same features), the candidates found within a fixed number of
postings, in the weighted rows and the tail alike, the tail's rows scored exactly only as
candidates (and its few fresh ones), and the table read again only when something may be
new."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy
import pytest
from sqlalchemy import event, insert

from bench.similar_fixture import TOPICS
from gateway.similar import index as index_module
from gateway.similar import solved
from gateway.similar import tail as tail_module
from gateway.similar.index import CANDIDATES, REFRESH_SECONDS, Index
from gateway.similar.rows import dots
from gateway.similar.tail import FRESH
from gateway.similar.vectors import counts, query_counts
from gateway.store import tickets
from gateway.store.db import Database, upgrade
from gateway.store.model import TextExample
from tests.similar.test_index_scale import _texts


def test_a_query_text_has_the_features_and_counts_of_the_vectorizer() -> None:
    rnd = random.Random(11)
    alphabet = "abcxyzпринтерёЁ  ,.!#1\n>@:/"
    texts = [text for solved_, held in TOPICS.values() for text in solved_ + held]
    texts += ["", "   ", "https://example.com/a only a link", "a", "Ёж ёлка", "x" * 5000]
    texts += ["> quoted\nline", "日本語 テキスト", "👍 ok 👍"]
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 200))) for _ in range(300)]
    for text in texts:
        matrix = counts([text])
        features, values = query_counts(text)
        assert numpy.array_equal(features, matrix.indices), text
        assert values.dtype == matrix.data.dtype
        assert numpy.array_equal(values, matrix.data), text


def test_a_rare_ngram_finds_its_row_within_the_postings_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Far fewer postings than the common words have: only the rarest n-grams are read,
    # and the one row sharing them is found among hundreds that share the rest.
    monkeypatch.setattr(index_module, "POSTINGS", 64)
    rows = [(i, "", f"принтер не печатает бумага картридж {i % 7}", "") for i in range(500)]
    rows.append((999, "", "принтер не печатает: плоттер шуршит", "the one"))
    index = Index("t")
    index.add(rows)
    [hit] = index.query("плоттер шуршит, принтер не печатает", 1)
    assert (hit.ticket_id, hit.answer) == (999, "the one")
    # Reading the common n-grams' postings is what the limit avoids: none has fewer.
    assert all(index._df[f] >= 500 for f in query_counts("принтер бумага")[0])


def test_a_rare_ngram_of_the_tail_is_found_within_the_postings_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The same, the row added after the weighting and indexed in the tail with the rows
    # that followed it: the postings read are counted over both parts.
    monkeypatch.setattr(index_module, "POSTINGS", 64)
    # A thousand weighted rows, or the tail's 66 would have the whole weighted again.
    rows = [(i, "", f"принтер не печатает бумага картридж {i % 7}", "") for i in range(1000)]
    index = Index("t")
    index.add(rows)
    index.query("принтер", 1)
    index.add([(999, "", "принтер не печатает: плоттер шуршит", "the one")])
    for i in range(FRESH + 1):
        index.add([(1000 + i, "", f"принтер не печатает бумага {i % 5}", "")])
    [hit] = index.query("плоттер шуршит, принтер не печатает", 1)
    assert (hit.ticket_id, hit.answer) == (999, "the one")
    assert index._tail is not None and index._tail.indexed > 1


def test_a_lookup_scores_as_many_rows_whatever_the_tail_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every row of the tail was scored at each lookup: 950 rows here, a tenth of the
    # window's 20,000 on a desk where tickets keep closing. Now its candidates only, found
    # by their postings, and the rows added since the tail was last indexed.
    scored: list[int] = []

    def counted(rows: Any, which: Any, dense: Any) -> Any:
        scored.append(len(which))
        return dots(rows, which, dense)

    monkeypatch.setattr(tail_module, "dots", counted)
    texts = _texts(11_000, seed=9)
    index = Index("t")
    index.add([(i, "", text, "") for i, text in enumerate(texts[:10_000])])
    index.query("принтер", 3)  # weighted: what follows waits in the tail
    at = 10_000
    for length in (10, 950):
        while at < 10_000 + length:
            index.add([(at, "", f"{texts[at]} уникум{at}", "")])
            at += 1
        scored.clear()
        hits = index.query(f"принтер сеть уникум{at - 1}", 3)
        assert index._tail is not None and len(index._tail) == length  # no rebuild
        assert hits[0].ticket_id == at - 1
        assert 0 < sum(scored) <= CANDIDATES + 4 * 3 + FRESH


def test_a_lookup_reads_the_table_again_only_when_something_may_be_new(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    db = Database(url)
    selects: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if "text_examples" in statement and statement.lstrip().startswith("SELECT"):
            selects.append(statement)

    index = Index("solved")
    with db.write() as s:
        user = tickets.get_or_create_user(s, "ivan@corp.example.ru")
        ticket = tickets.create_ticket(s, subject="Принтер", requester=user, source="smtp")
        other = tickets.create_ticket(s, subject="Сканер", requester=user, source="smtp")
        event.listen(db.engine, "before_cursor_execute", record)
        assert index.refresh_due(s, now=100.0) == 0  # the first lookup reads the table
        assert selects
        selects.clear()
        assert index.refresh_due(s, now=100.25) == 0
        assert selects == []  # nothing stored here since, and only just read
        # This process stores an example (a ticket closed): the next lookup sees it at once.
        solved.remember(s, ticket, "Перезагрузите принтер")
        assert index.refresh_due(s, now=100.5) == 1
        selects.clear()
        # Stored by another process: read once REFRESH_SECONDS have passed.
        s.execute(insert(TextExample), [{"index": "solved", "ticket_id": other.id, "text": "x"}])
        assert index.refresh_due(s, now=100.5 + REFRESH_SECONDS / 2) == 0
        assert selects == []
        assert index.refresh_due(s, now=100.5 + REFRESH_SECONDS) == 1
        event.remove(db.engine, "before_cursor_execute", record)
    assert {h.ticket_id for h in index.query("принтер", 3)} == {ticket.id}
    db.dispose()
