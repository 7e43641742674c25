"""Online lessons: taught a margin past the quarantine threshold, and kept there."""

from __future__ import annotations

import math

import scipy.sparse as sp

from classifier import MIN_SPAM, SpamModel
from classifier.model import MARGIN
from tests.classifier.test_spam_model import HAM_EN, SPAM

THRESHOLD = 0.85
CUT = math.log(THRESHOLD / (1.0 - THRESHOLD))  # the threshold in log-odds


def _unused(row: sp.csr_matrix) -> int:
    """A column that ``row`` has no value in."""
    return next(c for c in range(row.shape[1]) if c not in set(row.indices.tolist()))


def _started() -> SpamModel:
    model = SpamModel.new()
    for n in range(MIN_SPAM):
        model.learn(SPAM.replace(b"winner", f"winner{n}".encode()), True, threshold=THRESHOLD)
    model.learn(HAM_EN, False, threshold=THRESHOLD)
    return model


def test_a_correction_is_learnt_a_margin_past_the_threshold() -> None:
    model = _started()
    spam = model.features([SPAM])
    ham = model.features([HAM_EN])
    assert model.margins(spam)[0] >= CUT + MARGIN
    assert model.margins(ham)[0] <= CUT - MARGIN
    released = SPAM.replace(b"winner", b"winner0")  # an agent releases one of them
    model.learn(released, False, threshold=THRESHOLD)
    assert model.margins(model.features([released]))[0] <= CUT - MARGIN


def test_a_recent_lesson_worn_down_within_the_margin_is_taught_again() -> None:
    """Later lessons that share a lesson's words wear its score down towards the
    threshold; while it is still on its side, the next lesson replays it to the margin."""
    model = SpamModel.new()
    model.learn(SPAM, True, threshold=THRESHOLD)
    model.learn(HAM_EN, False, threshold=THRESHOLD)
    spam = model.features([SPAM])
    kept = len(model.recent)
    margin = float(model.margins(spam)[0])
    model.estimator.coef_ *= (CUT + 0.5) / margin  # worn: held, but barely
    assert CUT < model.margins(spam)[0] < CUT + MARGIN
    # Any lesson replays the recent ones: one that shares no feature with the spam, so
    # that only the replay can move it.
    other = sp.csr_matrix(([1.0], ([0], [_unused(spam)])), shape=spam.shape)
    model.learn_rows(other, [False], THRESHOLD)
    assert model.margins(spam)[0] >= CUT + MARGIN
    assert len(model.recent) == kept + 1  # on its side all along: nothing forgotten
    assert model.probabilities(spam)[0] >= THRESHOLD
    assert model.margins(model.features([HAM_EN]))[0] <= CUT - MARGIN
