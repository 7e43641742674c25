"""A similar-ticket index in every state a lookup meets (weighted rows, a tail indexed
and fresh, tickets closed again) and the queries put to it: Russian, English, the scale
bench's texts. lookups_before.json holds what the index answered before its candidates
were found over bare arrays (scipy's slicing and products): `python -m
tests.similar.lookup_fixture` writes it again from whichever code is on the path."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from bench.scale_build import _text
from bench.similar_fixture import TOPICS
from gateway.similar.index import Index
from gateway.similar.tail import FRESH
from tests.similar.test_index_scale import _texts

BEFORE = Path(__file__).with_name("lookups_before.json")
# A new ticket like none of the scale bench's history.
QUERY_LIKE_NONE = "VPN drops every hour #3\nHello,\nrequest number 3: it stopped working.\n"


def scale_texts(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    return [f"{_text(rnd, 4)}\n{_text(rnd, rnd.randint(12, 40))}" for _ in range(n)]


def _distinct(texts: list[str]) -> list[str]:
    """Texts of different words: the same words in any order are the same n-grams, and
    the order of equal scores is arbitrary (before as now)."""
    seen: set[tuple[str, ...]] = set()
    kept = []
    for text in texts:
        words = tuple(sorted(text.lower().split()))
        if words not in seen:
            seen.add(words)
            kept.append(text)
    return kept


def fixture() -> tuple[Index, list[str]]:
    """An index in every state a lookup meets, and the queries put to it."""
    solved = [text for texts, _ in TOPICS.values() for text in texts]
    rows = _distinct(solved + _texts(2000, seed=21) + scale_texts(1000, seed=4))
    index = Index("t")
    index.add([(i, "", text, f"a{i}") for i, text in enumerate(rows)])
    index.query("warm up", 3)  # weighted: what follows waits in the tail
    more = _distinct(_texts(2 * FRESH + 20, seed=22))
    for i, text in enumerate(more):
        index.add([(10_000 + i, "", f"{text} уникум{i % 9}", "")])
    # Tickets closed again, weighted and in the tail: their old rows must not come back.
    index.add([(5, "", "Синий сканер щёлкает", "again"), (10_003, "", "плоттер шуршит", "")])
    queries = [query for _, held in TOPICS.values() for query in held]
    queries += _texts(40, seed=99) + scale_texts(20, seed=6)
    queries += [f"уникум{i} принтер" for i in range(4)] + ["сканер щёлкает", "плоттер"]
    queries += [QUERY_LIKE_NONE]
    return index, queries


def lookups(index: Index, queries: list[str]) -> list[list[list[float]]]:
    return [
        [[h.ticket_id, round(h.score, 7)] for h in index.query(query, k)]
        for query in queries
        for k in (3, 7)
    ]


if __name__ == "__main__":
    index, queries = fixture()
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else BEFORE
    out.write_text(json.dumps(lookups(index, queries)) + "\n")
