"""Similar solved tickets and learnt categories on a fixture of our own
(bench/similar_fixture.py: ten topics, ru/en, six solved tickets and three held-out
queries each), with the product's index (gateway.similar.index).

Figures: precision@3 (the share of the three suggestions that are of the query's topic,
averaged over the queries), hit@3 (a query with at least one right suggestion), the
category vote's accuracy, and the query time on a grown index (the fixture repeated with
noise to N rows), and the processor time of a lookup of bench/scale.py's new mails on a
full window of the texts bench/scale_build.py writes (what the runner meets at a million
tickets), with and without the notice's threshold (min_score 0.15: those mails are like
no ticket of that history, which the threshold tells before any postings are read).
Run: python bench/similar.py [--grow 20000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.similar_fixture import TOPICS
from gateway.similar.index import WINDOW, Index


def build(grow: int = 0) -> tuple[Index, dict[int, str]]:
    index = Index("bench")
    topic_of: dict[int, str] = {}
    rows = []
    for topic, (solved, _) in TOPICS.items():
        for text in solved:
            tid = len(topic_of) + 1
            topic_of[tid] = topic
            rows.append((tid, topic, text, ""))
    rnd = random.Random(7)
    base = list(rows)
    while len(rows) < grow:
        tid, topic, text, _ = rnd.choice(base)
        words = text.split()
        rnd.shuffle(words)
        new = len(topic_of) + 1
        topic_of[new] = topic
        rows.append((new, topic, " ".join(words[: max(3, len(words) - 2)]), ""))
    index.add(rows)
    return index, topic_of


def _per_query(index: Index, queries: int) -> float:
    """Seconds a look-up of the fixture's held-out queries takes on `index`, warmed up."""
    index.query("warm up", 3)
    start = time.perf_counter()
    for _, held_out in TOPICS.values():
        for query in held_out:
            index.query(query, 3)
    return (time.perf_counter() - start) / queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grow", type=int, default=20_000)
    args = parser.parse_args()
    index, topic_of = build()
    precisions, hits, correct, queries = [], 0, 0, 0
    for topic, (_, held_out) in TOPICS.items():
        for query in held_out:
            found = index.query(query, 3)
            right = sum(topic_of[h.ticket_id] == topic for h in found)
            precisions.append(right / 3)
            hits += right > 0
            votes: dict[str, float] = {}
            for h in index.query(query, 7):
                votes[h.label] = votes.get(h.label, 0.0) + h.score
            correct += bool(votes) and max(votes, key=lambda c: votes[c]) == topic
            queries += 1
    print(f"fixture: {len(topic_of)} solved tickets, {len(TOPICS)} topics, {queries} queries")
    print(f"precision@3: {sum(precisions) / len(precisions):.3f}   hit@3: {hits / queries:.3f}")
    print(f"category vote (7 neighbours) accuracy: {correct / queries:.3f}")
    start = time.perf_counter()
    grown, _ = build(args.grow)
    built = time.perf_counter() - start
    per = _per_query(grown, queries)
    print(f"grown index: {len(grown)} rows built in {built:.2f} s; {per * 1000:.1f} ms a query")
    # What the product does as tickets close: one row added, then the next query
    # recomputes the document frequencies once.
    start = time.perf_counter()
    for i in range(10):
        grown.add([(10**9 + i, "printer", "Принтер снова не печатает", "")])
        grown.query("принтер не печатает", 3)
    print(f"one ticket closed, then a query: {(time.perf_counter() - start) * 100:.1f} ms")
    # A desk where tickets keep closing: up to a tenth of the window waits in the tail
    # between two weightings; a lookup's cost must not follow it.
    for i in range(1800):
        grown.add([(2 * 10**9 + i, "printer", f"Принтер {i} снова не печатает", "")])
    per = _per_query(grown, queries)
    print(f"with 1,800 rows added since the weighting: {per * 1000:.1f} ms a query")
    scale_window()


def _text_of(raw: bytes) -> str:
    """A new ticket's text as the pipeline gives it to the lookup: subject, then body."""
    import email
    import email.policy

    msg = email.message_from_bytes(raw, policy=email.policy.default)
    body = msg.get_body()
    assert isinstance(msg, email.message.EmailMessage) and body is not None
    return f"{msg['Subject']}\n{body.get_content()}"


def scale_window() -> None:
    """Lookups of the scale bench's new mails on a window of its history's solved texts."""
    import datetime as dt

    from bench.scale import _mail
    from bench.scale_build import _tickets

    rnd = random.Random(17)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    rows = []
    for ticket, messages in _tickets(rnd, WINDOW * 5 // 4, start, 86_400 * 700):
        if ticket["closed"] and any(m["kind"] == "answer" for m in messages):
            rows.append((ticket["id"], "", f"{ticket['subject']}\n{messages[0]['body']}", ""))
    index = Index("scale")
    index.add(rows[-WINDOW:])
    index.query("warm up", 3)
    texts = [_text_of(_mail(i)) for i in range(1000)]
    for floor in (0.0, 0.15):
        started = time.process_time()
        for text in texts:
            index.query(text, 3, exclude=0, floor=floor)
        per = (time.process_time() - started) / len(texts)
        print(
            f"scale window ({len(index)} rows), a new mail's lookup, min_score {floor}: "
            f"{per * 1000:.2f} ms of processor time"
        )


if __name__ == "__main__":
    main()
