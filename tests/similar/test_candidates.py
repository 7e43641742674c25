"""The candidates of a lookup found over bare arrays are those scipy found: the postings'
sums the same to the last bit, the largest sums the same rows; the lookups of a varied
fixture (weighted rows, an indexed and a fresh tail, replaced tickets; Russian, English,
the scale bench's texts) return the hits the scipy version returned, recorded in
lookups_before.json; a threshold no row can reach reads no postings; the daemon's warm-up
weighs the window, so the first new ticket does not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy
import pytest
import scipy.sparse
from sqlalchemy import insert

from gateway.similar import candidates
from gateway.similar import index as index_module
from gateway.similar.candidates import STRIDE, largest, postings
from gateway.similar.index import Index, shared
from gateway.similar.rows import Rows
from gateway.similar.tail import FRESH
from gateway.similar.warm import warm
from gateway.store import tickets
from gateway.store.db import Database, upgrade
from gateway.store.model import TextExample
from tests.similar.lookup_fixture import BEFORE, QUERY_LIKE_NONE, fixture, lookups, scale_texts
from tests.similar.test_index_scale import _texts


def test_the_postings_sums_are_scipys_product_bit_for_bit() -> None:
    rng = numpy.random.default_rng(5)
    for rows, features, density in ((300, 2000, 0.01), (5000, 50_000, 0.0005), (1, 10, 0.5)):
        matrix = scipy.sparse.random(
            rows, features, density=density, format="csc", dtype=numpy.float32, random_state=rng
        )
        matrix.sort_indices()
        columns = Rows(matrix.indptr, matrix.indices, matrix.data)
        for size in (1, 7, 150):
            # A query's features are distinct; many have no postings.
            picked = rng.choice(features, size=min(size, features), replace=False)
            weights = rng.random(len(picked))
            expected = matrix[:, picked] @ weights
            found = postings(columns, picked.astype(numpy.int32), weights, rows)
            assert found.dtype == expected.dtype
            assert numpy.array_equal(found, expected)
    empty = scipy.sparse.csc_matrix((4, 9), dtype=numpy.float32)
    none = postings(
        Rows(empty.indptr, empty.indices, empty.data), numpy.arange(3), numpy.ones(3), 4
    )
    assert numpy.array_equal(none, numpy.zeros(4))


def _old_largest(values: Any, wanted: int) -> set[int]:
    """The selection the index made before: a partition of every value."""
    wanted = min(len(values), wanted)
    found = numpy.argpartition(-values, wanted - 1)[:wanted]
    return {int(i) for i in found[values[found] > 0]}


def test_the_largest_sums_are_those_of_a_partition_of_all() -> None:
    rng = numpy.random.default_rng(8)
    cases = [rng.random(20_000), numpy.zeros(500), rng.random(30), numpy.sort(rng.random(5000))]
    sparse_ = rng.random(20_000)
    sparse_[rng.random(20_000) < 0.98] = 0.0  # fewer positive than wanted in the sample
    few = numpy.zeros(20_000)
    few[[3, 9000, 19_999]] = [0.5, 0.25, 0.75]
    descending = numpy.sort(rng.random(20_000))[::-1].copy()  # the best all sampled first
    cases += [sparse_, few, descending]
    for values in cases:
        for wanted in (1, 44, STRIDE * 44):
            assert {int(i) for i in largest(values, wanted)} == _old_largest(values, wanted)


def test_the_lookups_of_a_varied_fixture_are_those_of_before() -> None:
    index, queries = fixture()
    assert json.loads(BEFORE.read_text()) == lookups(index, queries)
    # The tail (weighed at the first lookup) has both its parts.
    assert index._tail is not None and index._tail.indexed and len(index._tail) > FRESH
    assert len(index._tail) > index._tail.indexed


def test_a_threshold_drops_what_scores_under_it_and_reads_no_postings_when_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index, queries = fixture()
    for floor in (0.15, 0.4):
        for query in queries:
            every = [(h.ticket_id, h.score) for h in index.query(query, 3)]
            kept = [(h.ticket_id, h.score) for h in index.query(query, 3, floor=floor)]
            assert kept == [(t, s) for t, s in every if s >= floor], query
    read: list[int] = []

    def counted(columns: Rows, features: Any, weights: Any, length: int) -> Any:
        read.append(len(features))
        return postings(columns, features, weights, length)

    monkeypatch.setattr(index_module, "postings", counted)
    # A ticket like none of the window's (the scale bench's new mails to its history):
    # the best it could reach is under the notice's threshold.
    index = Index("t")
    index.add([(i, "", text, "") for i, text in enumerate(scale_texts(2000, seed=3))])
    query = QUERY_LIKE_NONE
    assert index.query(query, 3, floor=0.15) == []
    assert read == []
    assert index.query(query, 3)  # without the threshold it reads them and finds some
    assert read


def test_the_warm_up_weighs_the_window_so_the_first_lookup_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    db = Database(url)
    with db.write() as s:
        user = tickets.get_or_create_user(s, "ivan@corp.example.ru")
        ids = [
            tickets.create_ticket(s, subject=f"t{i}", requester=user, source="smtp").id
            for i in range(40)
        ]
        s.execute(
            insert(TextExample),
            [
                {"index": "solved", "ticket_id": t, "text": text, "answer": "ok"}
                for t, text in zip(ids, _texts(40, seed=2), strict=True)
            ],
        )
    with db.read() as s:
        assert warm(s, url, with_categories=False) == 40
    index = shared(url, "solved")
    weighed: list[int] = []
    rebuild = Index._rebuild

    def counted(self: Index) -> None:
        weighed.append(1)
        rebuild(self)

    monkeypatch.setattr(Index, "_rebuild", counted)
    assert index.query("принтер бумага", 3)
    assert weighed == []
    db.dispose()


def test_the_candidates_module_reads_no_more_than_it_is_given() -> None:
    # The rarest features within the limit, the rarest one's at least, whatever its size.
    df = numpy.array([0, 5000, 3, 40, 0, 7])
    features = numpy.array([1, 2, 3, 5])
    weights = numpy.ones(4, dtype=numpy.float32)
    picked, picked_weights = candidates.rarest(df, features, weights, 50)
    assert list(picked) == [2, 5, 3] and picked_weights.dtype == numpy.float64
    assert list(candidates.rarest(df, numpy.array([1]), weights[:1], 50)[0]) == [1]
