"""The spam bench's online run: the later half's FP at 99% recall, and the line per error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from bench.spam_data import Corpus
from bench.spam_errors import misses
from bench.spam_online import Policy, at_recall, online_ours
from classifier.features import row_of, to_matrix
from tests.classifier.test_spam_model import make_mail


def test_fp_at_recall_takes_the_threshold_that_holds_that_share_of_the_later_spam() -> None:
    # The first half does not count. In the later half, 100 spam scored 0.01..1.00: 99%
    # recall holds from the 99th highest, 0.02; the ham at 0.015 stays, the one at 0.5 not.
    early = [0.9, 0.1] * 51
    spam = [k / 100 for k in range(1, 101)]
    scores = early + spam + [0.015, 0.5]
    labels = np.array([True, False] * 51 + [True] * 100 + [False, False])
    line = at_recall(scores, labels, 0.99)
    assert "held from score 0.0200" in line and "FP rate 50.00%" in line
    assert "FP rate  0.00%" in at_recall([*scores[:-1], 0.01], labels, 0.99)
    assert "no ham" in at_recall([0.5] * 4, np.array([False, False, True, True]), 0.99)


def test_online_run_names_the_features_of_each_wrong_decision() -> None:
    """A real stream through the product's model: each error gets its score and features."""
    raws = []
    for n in range(12):
        raws.append(make_mail(f"WIN a FREE prize {n}", f"Claim ${n}000 now!!! click", "x@win.biz"))
        raws.append(make_mail(f"Printer {n}", f"Room {n} printer is down, thanks", "o@corp.test"))
    labels = np.array([True, False] * 12)
    start = datetime(2025, 3, 3, tzinfo=UTC)
    dates = [start + timedelta(minutes=k) for k in range(len(raws))]
    order = list(range(len(raws)))
    matrix = to_matrix([row_of(raw) for raw in raws])
    c = Corpus(raws, labels, [""] * len(raws), matrix, dates, order, 0, ["x"] * len(raws))
    scores: list[float] = []
    explain: dict[int, list[tuple[str, float]]] = {}
    wrong = online_ours(c, order, 0.85, Policy(), scores=scores, explain=explain)
    assert len(scores) == len(raws)
    assert sorted(explain) == [k for k, w in enumerate(wrong) if w] and explain
    lines = misses(raws, labels, matrix, order, scores, explain)
    assert len(lines) == sum(wrong)
    # The cold start lets the first spam through: no spam before it, nothing to name yet.
    assert lines[0].startswith("#0 spam let through at 0.500 nearest spam before 0.00")
    named = [line for line in lines if line.count(":") > 2]
    assert any("b:" in line or "s:" in line for line in named)
