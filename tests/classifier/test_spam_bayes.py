"""The token counts beside the SGD: odds from one lesson, no prior, stored with the model."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from classifier import SpamModel
from classifier.bayes import TokenCounts
from classifier.features import N_FEATURES, N_WORDS
from tests.classifier.test_spam_model import HAM_EN, SPAM

THRESHOLD = 0.85


def _rows(columns: list[list[int]]) -> sp.csr_matrix:
    data = [1.0 for cols in columns for _ in cols]
    indices = [c for cols in columns for c in cols]
    indptr = np.cumsum([0] + [len(cols) for cols in columns])
    return sp.csr_matrix((data, indices, indptr), shape=(len(columns), N_FEATURES))


def test_a_feature_seen_once_leans_a_little_one_never_seen_not_at_all() -> None:
    counts = TokenCounts()
    counts.add(_rows([[1, 2], [2, 3]]), [True, False])
    odds = counts.log_odds(np.array([1, 2, 3, 4, N_WORDS + 1]))
    assert odds[0] > 0 and odds[2] < 0 and odds[0] == -odds[2]  # one lesson each way
    assert odds[1] == 0.0  # in one spam and one ham: even
    assert odds[3] == 0.0 and odds[4] == 0.0  # never seen; a byte gram is not counted
    counts.add(_rows([[1]] * 5), [True] * 5)
    assert counts.log_odds(np.array([1]))[0] > odds[0]  # more evidence, surer


def test_the_ratio_of_ham_to_spam_taught_is_no_prior() -> None:
    # Feature 1 is in every spam lesson and in every ham lesson: even, however many of
    # each were taught; feature 2 in half of each class: even too.
    counts = TokenCounts()
    counts.add(_rows([[1, 2], [1]] + [[1, 2], [1]] * 10), [True, True] + [False] * 20)
    assert np.allclose(counts.log_odds(np.array([1, 2])), 0.0)
    assert counts.margins(_rows([[1, 2], [3]])).tolist() == [0.0, 0.0]


def test_one_lesson_of_a_campaign_raises_its_next_copy_through_the_counts() -> None:
    model = SpamModel.new()
    model.learn(HAM_EN, False, threshold=THRESHOLD)
    model.learn(SPAM, True, threshold=THRESHOLD)
    copy = model.features([SPAM.replace(b"winner", b"lucky")])
    assert model.bayes.n_spam == 1 and model.bayes.n_ham == 1
    assert model.bayes.margins(copy)[0] > 0
    linear = model.estimator.coef_[0][copy.indices] @ copy.data
    assert model.margins(copy)[0] > linear


def test_a_bootstrap_corpus_is_not_counted() -> None:
    model = SpamModel.new()
    matrix = model.features([SPAM, HAM_EN])
    model.learn_matrix(matrix, [True, False])
    assert model.bayes.n_spam == model.bayes.n_ham == 0
    assert np.allclose(model.margins(matrix), matrix @ model.estimator.coef_[0])


def test_the_counts_are_stored_with_the_model_and_an_older_model_loads_without() -> None:
    model = SpamModel.new()
    model.learn(HAM_EN, False, threshold=THRESHOLD)
    model.learn(SPAM, True, threshold=THRESHOLD)
    loaded = SpamModel.loads(model.dumps())
    rows = model.features([SPAM, HAM_EN])
    assert (loaded.bayes.n_spam, loaded.bayes.n_ham) == (1, 1)
    assert np.array_equal(loaded.margins(rows), model.margins(rows))
    empty = TokenCounts.from_state(None)  # a model stored before the counts
    assert empty.n_spam == 0 and not empty.spam.any()
