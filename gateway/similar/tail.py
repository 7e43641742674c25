"""The rows a similar-ticket index added since it last weighed the whole window: weighted
with that weighting's frequencies, and kept by feature too, as the weighted part is, so
that a lookup reads only the postings of the query's rare n-grams here as well.

A lookup must not score every row of the tail (up to a tenth of the window, 2,000 rows:
that was most of a lookup's work on a desk where tickets keep closing). So the tail has
two parts:
- the indexed rows, as compressed rows (to score a candidate exactly) and compressed
  columns (the inverted index the candidates are found in), with their document
  frequencies added to the weighted part's, which decide which postings a lookup reads;
- at most FRESH rows added since, scored in full by every lookup (a bounded amount).
Once more than FRESH rows wait, they are folded into the indexed part, which is built
again from its arrays: a copy of the tail every FRESH rows, a few milliseconds at its
longest, so each added row costs its own weighting and, amortised, a FRESH-th of that
copy. A lookup's work is the same whatever the tail's length.
"""

from __future__ import annotations

from typing import Any

from gateway.similar.candidates import postings
from gateway.similar.rows import Rows, concat, count, dots, no_rows
from gateway.similar.weighting import Weighted

# Rows added since the last fold that every lookup scores in full.
FRESH = 64


def weigh(block: Any, idf: Any) -> Rows:
    """A CSR block of counts weighted by `idf` and normalised (L2), as bare arrays: the
    weighting of the window's rebuild, row by row (a row's weights are its own)."""
    import numpy

    lengths = numpy.diff(block.indptr)
    weights = block.data * idf[block.indices]
    owner = numpy.repeat(numpy.arange(len(lengths)), lengths)
    norms = numpy.sqrt(numpy.bincount(owner, weights=weights * weights, minlength=len(lengths)))
    weights /= numpy.where(norms > 0, norms, 1.0)[owner]
    return Rows(numpy.asarray(block.indptr, dtype=numpy.int64), block.indices, weights)


class Tail:
    """The weighted rows after an index's weighted part, in the order they were added."""

    def __init__(self, weighted: Weighted) -> None:
        self._idf = weighted.idf
        self._weighted_df = weighted.df
        # In how many weighted or indexed rows each feature is: what a lookup's postings
        # follow (the fresh rows' are not read, those rows are scored in full).
        self.df = weighted.df
        # Each feature's largest weight in any row, weighted, indexed or fresh.
        self.peak = weighted.peak.copy()
        self._rows = no_rows()  # the indexed rows
        self._columns: Rows | None = None  # the same by feature (CSC), once there are some
        self._fresh = no_rows()

    @property
    def indexed(self) -> int:
        return count(self._rows)

    def __len__(self) -> int:
        return self.indexed + count(self._fresh)

    def add(self, block: Any) -> None:
        """Rows of counts (CSR) added after the others."""
        import numpy

        rows = weigh(block, self._idf)
        numpy.maximum.at(self.peak, rows.indices, rows.data)
        self._fresh = concat(self._fresh, rows)
        if count(self._fresh) > FRESH:
            self._fold()

    def _fold(self) -> None:
        import numpy
        import scipy.sparse

        from gateway.similar.vectors import N_FEATURES

        self._rows, self._fresh = concat(self._rows, self._fresh), no_rows()
        rows = self._rows
        matrix = scipy.sparse.csr_matrix(
            (rows.data, rows.indices, rows.indptr), shape=(count(rows), N_FEATURES)
        )
        by_feature = matrix.tocsc()
        self._columns = Rows(by_feature.indptr, by_feature.indices, by_feature.data)
        self.df = self._weighted_df + numpy.bincount(rows.indices, minlength=N_FEATURES)

    def partial(self, features: Any, weights: Any) -> Any:
        """The indexed rows' dot products with the query restricted to `features` (their
        postings only, as for the weighted part)."""
        import numpy

        if self._columns is None:
            return numpy.zeros(0)
        return postings(self._columns, features, weights, self.indexed)

    def exact(self, which: Any, dense: Any) -> Any:
        """The indexed rows `which` (from 0) scored against the query's dense vector."""
        return dots(self._rows, which, dense)

    def fresh(self, dense: Any) -> Any:
        """Every fresh row scored against the query's dense vector, in order."""
        import numpy

        return dots(self._fresh, numpy.arange(count(self._fresh)), dense)
