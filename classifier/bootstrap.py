"""Learning a whole labelled corpus at once: balanced classes, several shuffles averaged.

Two causes of scores that were too cautious on mail of another corpus, both in how a
corpus was learnt rather than in what it holds:

- The corpus's own mix of ham and spam. The SpamAssassin corpus keeps 2.2 ham for each
  spam (its 2002 half 5), a ratio its collectors chose; learnt as it is, that ratio
  becomes a prior against spam that no desk shares, and mail whose words the model does
  not know scores towards ham. The classes' weights are moved halfway (BALANCE) towards
  the same total, so that the score rests mostly on the evidence in the message.
- The constant step. It must stay large for corrections to move the model (model), but
  then the weights after a bootstrap are those of whichever mini-batches came last: four
  shuffles of one corpus held 89% to 92% of another's spam, at FP 0.16% to 0.56%. The
  weights of several shuffles are averaged (still one linear model, the same size), so a
  score no longer depends on the order a corpus was read in.
"""

from __future__ import annotations

import copy
from typing import Any

BATCH = 256
BAGS = 4  # shuffles averaged: 4 gave most of what 8 did (bench/spam.py --cross)
# How far the classes are balanced: 1 gives ham and spam the same total, 0 the corpus's
# own ratio. Learning 2002 and judging the 2003 mail but its hard ham, at 0.85: 1 held
# 97.4% of the spam at FP 0.36%, 0.5 held 95.6% at FP 0.29%; none held 92.3% at 0.00%
# (bench/spam.py --cross). Half: most of the recall, with FP, the headline, in bounds.
BALANCE = 0.5


def class_weights(target: Any) -> Any:
    """A weight per row that moves the classes' totals BALANCE of the way (in log scale)
    from the corpus's own ratio to equal; a mean weight of 1 (1 each if a class is
    absent)."""
    import numpy as np

    n = len(target)
    n_spam = int(target.sum())
    if n_spam in (0, n):
        return np.ones(n)
    full = np.where(target == 1, n / (2.0 * n_spam), n / (2.0 * (n - n_spam)))
    weights = full**BALANCE
    return weights * (n / weights.sum())


def sgd_epochs(
    estimator: Any, matrix: Any, target: Any, weights: Any, epochs: int, seed: int
) -> Any:
    """Shuffled mini-batch passes of ``partial_fit``; returns the last pass's order."""
    import numpy as np

    rng = np.random.default_rng(seed)
    order = np.arange(len(target))
    for _ in range(epochs):
        order = rng.permutation(len(target))
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            estimator.partial_fit(
                matrix[chunk], target[chunk], classes=[0, 1], sample_weight=weights[chunk]
            )
    return order


def learn_corpus(estimator: Any, matrix: Any, target: Any, epochs: int, seed: int) -> Any:
    """``estimator`` (fitted or not) after learning the corpus; and the last shuffle.

    Each shuffle starts from the estimator as it was, so a second corpus adds to what a
    first one taught; the result carries the mean of the shuffles' weights.
    """
    import numpy as np

    weights = class_weights(target)
    runs: list[Any] = []
    order = np.arange(len(target))
    for k in range(BAGS):
        run = copy.deepcopy(estimator)
        order = sgd_epochs(run, matrix, target, weights, epochs, seed * BAGS + k)
        runs.append(run)
    learnt = runs[-1]
    learnt.coef_ = np.mean([r.coef_ for r in runs], axis=0)
    learnt.intercept_ = np.mean([r.intercept_ for r in runs], axis=0)
    return learnt, order
