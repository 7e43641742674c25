"""Compressed sparse rows kept as bare arrays, and the dot products of some of them with
a dense vector: what the similar-ticket index's tail needs of a CSR matrix, without
scipy's per-operation checks (they cost more than the arithmetic for a few rows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rows:
    """Compressed sparse rows as bare arrays (what `dots` reads of a CSR matrix)."""

    indptr: Any
    indices: Any
    data: Any


def no_rows() -> Rows:
    import numpy

    return Rows(
        numpy.zeros(1, dtype=numpy.int64),
        numpy.zeros(0, dtype=numpy.int32),
        numpy.zeros(0, dtype=numpy.float32),
    )


def count(rows: Rows) -> int:
    """How many rows."""
    return int(rows.indptr.shape[0]) - 1


def concat(first: Rows, second: Rows) -> Rows:
    """The rows of `first`, then those of `second`."""
    import numpy

    if not count(second):
        return first
    return Rows(
        numpy.concatenate([first.indptr, second.indptr[1:] + first.indptr[-1]]),
        numpy.concatenate([first.indices, second.indices]),
        numpy.concatenate([first.data, second.data]),
    )


def _spans(indptr: Any, which: Any) -> tuple[Any, Any]:
    """The entries of the compressed rows (or columns) `which`: their places, and for each
    which of `which` it belongs to."""
    import numpy

    starts = indptr[which]
    lengths = indptr[which + 1] - starts
    owner = numpy.repeat(numpy.arange(len(which)), lengths)
    offsets = numpy.arange(owner.shape[0]) - numpy.repeat(numpy.cumsum(lengths) - lengths, lengths)
    return starts[owner] + offsets, owner


def dots(rows: Any, which: Any, dense: Any) -> Any:
    """The dot product of each CSR row of `which` with the dense vector."""
    import numpy

    if not len(which):  # the tail's parts are mostly empty: no passes for nothing
        return numpy.zeros(0)
    at, owner = _spans(rows.indptr, which)
    products = rows.data[at] * dense[rows.indices[at]]
    return numpy.bincount(owner, weights=products, minlength=len(which))
