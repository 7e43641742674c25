"""Finding a lookup's candidates in bare arrays: the query weighted, its rare n-grams'
postings summed by row, then the rows with the largest sums.

Both were scipy and numpy calls over the whole window (a column slice building a new
matrix, its product, an argpartition of every row's sum): at a window of 20,000 rows
their checks and passes were most of a lookup. Here the postings are read as slices of
the inverted index's arrays, and only the rows that may be among the best are
partitioned; the result is the same rows with the same sums.
"""

from __future__ import annotations

from typing import Any

from gateway.similar.rows import Rows
from gateway.similar.vectors import query_counts


def query_weights(text: str, idf: Any) -> tuple[Any, Any]:
    """A query's features and their weights (float32), weighted by `idf` and normalised
    as the rows are."""
    import numpy

    features, weights = query_counts(text)
    weights = weights * idf[features]
    weights /= numpy.sqrt(weights @ weights) or 1.0
    return features, weights


def rarest(df: Any, features: Any, weights: Any, limit: int) -> tuple[Any, Any]:
    """The query's rarest features by `df`, up to `limit` postings in all (at least the
    rarest one's), and their weights in double precision (the sums' precision)."""
    import numpy

    by_rarity = numpy.argsort(df[features], kind="stable")
    read = numpy.cumsum(df[features][by_rarity])
    rare = by_rarity[: max(1, int(numpy.searchsorted(read, limit, side="right")))]
    return features[rare], weights[rare].astype(numpy.float64)


# One sum in this many is sampled to find a floor under the best ones (see `largest`).
STRIDE = 16


def postings(columns: Rows, features: Any, weights: Any, length: int) -> Any:
    """For each of `length` rows, the sum over `features` of its entry times the feature's
    weight: the product of the compressed columns `features` with `weights`, read in the
    same order (feature by feature, row by row within one) as scipy's, so the sums are
    the same to the last bit."""
    import numpy

    starts = columns.indptr[features]
    ends = columns.indptr[features + 1]
    read = ends > starts  # most of a query's n-grams are in no row
    starts, ends, weights = starts[read], ends[read], weights[read]
    if not len(starts):
        return numpy.zeros(length)
    spans = list(zip(starts.tolist(), ends.tolist(), strict=True))
    rows = numpy.concatenate([columns.indices[a:b] for a, b in spans])
    entries = numpy.concatenate([columns.data[a:b] for a, b in spans])
    products = entries * numpy.repeat(weights, ends - starts)
    return numpy.bincount(rows, weights=products, minlength=length)


def largest(values: Any, wanted: int) -> Any:
    """The places of the `wanted` largest positive values (all the positive ones when
    fewer), in no order.

    A partition of every value costs a window's worth of passes each lookup, and most
    values are small: the `wanted`-th largest of every STRIDE-th value is a floor no
    greater than the `wanted`-th largest of all, so the values above it hold the best
    ones, and only those (about STRIDE times `wanted`) are partitioned.
    """
    import numpy

    floor = 0.0
    sample = values[::STRIDE]
    if len(sample) > wanted:
        floor = float(numpy.partition(sample, len(sample) - wanted)[len(sample) - wanted])
    found = numpy.flatnonzero(values >= floor if floor > 0 else values > 0)
    if len(found) > wanted:
        found = found[numpy.argpartition(-values[found], wanted - 1)[:wanted]]
    return found
