"""The weighting of a similar-ticket index's window: inverse document frequencies from the
rows themselves, the rows weighted and normalised, kept by row (to score a candidate) and
by feature (the inverted index its candidates are found in), and each feature's largest
weight in any row, which bounds the best score a query can reach before any postings are
read (a lookup that cannot reach the notice's threshold stops there)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.similar.rows import Rows


@dataclass(frozen=True)
class Weighted:
    rows: Rows  # weighted, normalised rows (CSR)
    columns: Rows  # the same by feature (CSC)
    idf: Any  # float32, by feature
    df: Any  # in how many rows each feature is
    peak: Any  # float32, each feature's largest weight in a row (0 in none)


def weigh_window(stacked: Any) -> Weighted:
    """Weigh a CSR matrix of counts (one row per example) as a whole."""
    import numpy
    from sklearn.preprocessing import normalize

    df = numpy.bincount(stacked.indices, minlength=stacked.shape[1])
    n = stacked.shape[0]
    idf = (numpy.log((1.0 + n) / (1.0 + df)) + 1.0).astype(numpy.float32)
    weighted = normalize(stacked.multiply(idf).tocsr(), norm="l2")
    by_feature = weighted.tocsc()
    columns = Rows(by_feature.indptr, by_feature.indices, by_feature.data)
    rows = Rows(weighted.indptr, weighted.indices, weighted.data)
    return Weighted(rows, columns, idf, df, peaks(columns))


def peaks(columns: Rows) -> Any:
    """Each feature's largest entry in compressed columns (0 where it has none)."""
    import numpy

    peak = numpy.zeros(len(columns.indptr) - 1, dtype=numpy.float32)
    present = numpy.flatnonzero(numpy.diff(columns.indptr))
    if len(present):
        peak[present] = numpy.maximum.reduceat(columns.data, columns.indptr[present])
    return peak


def reachable(peak: Any, features: Any, weights: Any) -> float:
    """The best cosine a query of these (normalised) weights can reach with any row whose
    weights are under `peak`: its weights times each feature's peak (the exact scores are
    sums of the same products with a row's own weights, each no greater)."""
    import numpy

    return float(numpy.dot(weights.astype(numpy.float64), peak[features].astype(numpy.float64)))
