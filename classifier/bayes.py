"""A fast-learning second opinion beside the SGD: per-feature spam odds from counts.

The SGD learns a new campaign only by being corrected on it, one step at a time, and a
lesson's step is shared by all its features. Counting in how many spam and ham lessons
each feature appeared learns from a single example: the second copy of a campaign meets
features seen once, in spam only. Each feature's odds are Robinson's (Gary Robinson, "A
Statistical Approach to the Spam Problem", 2003): the share of spam among the feature's
appearances, each class's count divided by its number of lessons (so the ratio of ham to
spam taught is no prior), drawn towards even by a strength of STRENGTH unseen lessons, so
that a feature seen once counts for little and an unseen one for nothing. A message's
log-odds are its features' values times their log-odds, the same dot product as the
linear model's.

Only the word block (features: words, subject, URLs, header facts) is counted. The byte
grams of the raw message, counted too, held twice the wanted mail in the online run
(bench/spam.py --online-only): thousands of grams a message, each with its own odds,
outvoted the words.
"""

from __future__ import annotations

from typing import Any

from classifier.features import N_WORDS

STRENGTH = 1.0  # Robinson's s: how many lessons of evidence the even prior is worth
# The largest share of one class a feature's odds may reach: features seen in one class
# only would otherwise weigh log((s/2 + n) / (s/2)) and grow without bound with n.
CAP = 0.99


class TokenCounts:
    """In how many spam and ham lessons each hashed feature appeared."""

    def __init__(
        self, spam: Any = None, ham: Any = None, lessons: tuple[int, int] = (0, 0)
    ) -> None:
        import numpy as np

        self.spam = np.zeros(N_WORDS, np.float32) if spam is None else spam
        self.ham = np.zeros(N_WORDS, np.float32) if ham is None else ham
        self.n_spam, self.n_ham = lessons

    def add(self, matrix: Any, labels: Any) -> None:
        """Count the features of the rows of a CSR matrix, by their labels (True: spam)."""
        import numpy as np

        labels = np.asarray(labels, bool)
        for target, rows in ((self.spam, labels), (self.ham, ~labels)):
            if rows.any():
                columns = matrix[rows.nonzero()[0]].indices
                columns = columns[columns < N_WORDS]
                target += np.bincount(columns, minlength=N_WORDS).astype(np.float32)
        self.n_spam += int(labels.sum())
        self.n_ham += int((~labels).sum())

    def log_odds(self, columns: Any) -> Any:
        """Each column's log-odds of spam (0 for a feature never seen or not counted)."""
        import numpy as np

        columns = np.asarray(columns)
        out = np.zeros(len(columns))
        words = columns < N_WORDS
        out[words] = self._odds(columns[words])
        return out

    def _odds(self, columns: Any) -> Any:
        import numpy as np

        s = self.spam[columns].astype(np.float64)
        h = self.ham[columns].astype(np.float64)
        rate_s = s / max(self.n_spam, 1)
        rate_h = h / max(self.n_ham, 1)
        seen = rate_s + rate_h
        share = np.divide(rate_s, seen, out=np.full(len(s), 0.5), where=seen > 0)
        f = (STRENGTH * 0.5 + (s + h) * share) / (STRENGTH + s + h)
        f = np.clip(f, 1.0 - CAP, CAP)
        return np.log(f / (1.0 - f))

    def margins(self, matrix: Any) -> Any:
        """The log-odds of the rows of a CSR matrix: their values times their features'."""
        import numpy as np

        per_row = np.diff(matrix.indptr)
        rows = np.repeat(np.arange(matrix.shape[0]), per_row)
        columns = matrix.indices
        keep = columns < N_WORDS
        weighted = matrix.data[keep] * self._odds(columns[keep])
        return np.bincount(rows[keep], weights=weighted, minlength=matrix.shape[0])

    def to_state(self) -> tuple[Any, Any, Any, int, int]:
        """Picklable and small: the counted columns (int32), their counts (float32)."""
        import numpy as np

        seen = np.flatnonzero((self.spam > 0) | (self.ham > 0)).astype(np.int32)
        return seen, self.spam[seen], self.ham[seen], self.n_spam, self.n_ham

    @classmethod
    def from_state(cls, state: Any) -> TokenCounts:
        """Rebuild from ``to_state``; None (a model stored before the counts): empty.
        Raises ValueError on anything else."""
        import numpy as np

        if state is None:
            return cls()
        seen, spam, ham, n_spam, n_ham = state
        if not len(seen) == len(spam) == len(ham) or (len(seen) and int(max(seen)) >= N_WORDS):
            raise ValueError("bad token counts")
        out = cls(lessons=(int(n_spam), int(n_ham)))
        out.spam[seen] = np.asarray(spam, np.float32)
        out.ham[seen] = np.asarray(ham, np.float32)
        return out
