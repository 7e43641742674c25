"""Learning a corpus: its ham-to-spam ratio only half a prior, its reading order no matter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classifier import SpamModel, bootstrap
from tests.corpora import CORPORA


def test_the_classes_are_balanced_halfway_whatever_the_corpus_keeps() -> None:
    target = np.array([0] * 50 + [1] * 10)
    weights = bootstrap.class_weights(target)
    ham, spam = weights[target == 0].sum(), weights[target == 1].sum()
    n_ham, n_spam = int((target == 0).sum()), int(target.sum())
    # Halfway in log scale from the corpus's ratio to equal totals.
    assert np.isclose(spam / ham, (n_spam / n_ham) ** (1 - bootstrap.BALANCE))
    assert np.isclose(weights.sum(), len(target))  # the same step size on average
    assert (bootstrap.class_weights(np.ones(7, int)) == 1).all()  # spam alone: plain


def _slice(spec: list[tuple[str, int]]) -> tuple[list[bytes], np.ndarray]:
    root = CORPORA / "spamassassin"
    assert root.is_dir(), f"the corpora must be at {CORPORA}"
    raws: list[bytes] = []
    labels: list[bool] = []
    for folder, n in spec:
        for path in sorted(Path(root / folder).iterdir())[:n]:
            raws.append(path.read_bytes())
            labels.append(folder.startswith("spam"))
    return raws, np.array(labels)


@pytest.fixture(scope="module")
def cross() -> tuple[Any, np.ndarray, Any, np.ndarray]:
    """The 2002 collection (five ham for each spam) and mail of the 2003 one."""
    model = SpamModel.new()
    train, train_labels = _slice([("easy-ham-1", 1000), ("spam-1", 200)])
    test, test_labels = _slice([("easy-ham-2", 500), ("spam-2", 500)])
    return model.features(train), train_labels, model.features(test), test_labels


def test_a_corpus_learnt_holds_the_spam_of_another_at_the_default_threshold(
    cross: tuple[Any, np.ndarray, Any, np.ndarray],
) -> None:
    """Learnt as it was kept (5:1), the 2002 mail made a prior against spam: 91% of the
    2003 spam was held at 0.85. Balanced, 97% (measured 96.8% to 97.2% over shuffles),
    with next to no ham (0.2% to 0.8%: 1 to 4 of 500 newsletters and list mail)."""
    train, train_labels, test, test_labels = cross
    for version in (0, 1):
        model = SpamModel.new()
        model.version = version  # another shuffle of the same corpus
        model.learn_matrix(train, train_labels.tolist())
        held = model.probabilities(test) >= 0.85
        assert held[test_labels].mean() >= 0.95, version
        assert held[~test_labels].mean() <= 0.01, version


def test_the_order_a_corpus_is_read_in_barely_moves_a_score(
    cross: tuple[Any, np.ndarray, Any, np.ndarray],
) -> None:
    """With the constant step, one shuffle's weights are those of its last mini-batches;
    the mean of several is not. Measured on unseen mail, the median difference between
    two orders' margins (log-odds): 1.48 with one shuffle, 0.61 with four."""
    train, train_labels, test, _ = cross
    scores = []
    for version in (0, 1):
        model = SpamModel.new()
        model.version = version
        model.learn_matrix(train, train_labels.tolist())
        scores.append(model.probabilities(test))
    margin = np.abs(np.log(scores[0] / (1 - scores[0])) - np.log(scores[1] / (1 - scores[1])))
    assert np.median(margin) <= 1.0
