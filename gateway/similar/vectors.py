"""Texts to sparse rows: character 3..5-grams within words, so that "принтер",
"принтера" and "принтеры" share most of their features (morphology-tolerant without a
stemmer), for Russian and English alike; counts are sublinear (1 + log tf)."""

from __future__ import annotations

import re
from typing import Any

N_FEATURES = 2**18
_vectorizer: Any = None
_analyze: Any = None
_SPACE = re.compile(r"\s+")
# Quoted history, links and addresses are not what a ticket is about.
_NOISE = re.compile(r"^\s*>.*$|https?://\S+|\S+@\S+", re.MULTILINE)


def clean(text: str) -> str:
    return _SPACE.sub(" ", _NOISE.sub(" ", text.lower().replace("ё", "е"))).strip()


def counts(texts: list[str]) -> Any:
    """A scipy CSR matrix of sublinear n-gram counts, one row per text (not normalised)."""
    global _vectorizer
    if _vectorizer is None:
        from sklearn.feature_extraction.text import HashingVectorizer

        _vectorizer = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            n_features=N_FEATURES,
            alternate_sign=False,
            norm=None,
        )
    import numpy

    matrix = _vectorizer.transform([clean(t) for t in texts]).tocsr()
    # Single precision: an index keeps tens of thousands of these rows, three times over.
    matrix.data = (1.0 + numpy.log(matrix.data)).astype(numpy.float32)
    return matrix


def query_counts(text: str) -> tuple[Any, Any]:
    """The features of one text and their counts as `counts([text])` has them (sorted
    features, float32 sublinear counts), without the vectorizer's per-call machinery:
    its input checks and two sparse matrices cost three times the hashing of a lookup's
    text. The same n-grams (the vectorizer's own analyzer), the same hash and the same
    folding into N_FEATURES as sklearn's FeatureHasher (tests/similar check them equal).
    """
    import numpy
    from sklearn.utils import murmurhash3_32

    if _vectorizer is None:
        counts([""])
    global _analyze
    if _analyze is None:
        _analyze = _vectorizer.build_analyzer()
    grams = _analyze(clean(text))
    if not grams:
        return numpy.zeros(0, dtype=numpy.int32), numpy.zeros(0, dtype=numpy.float32)
    hashes = numpy.fromiter((murmurhash3_32(g, 0) for g in grams), numpy.int64, len(grams))
    # FeatureHasher: abs(h) % n, and the one hash whose abs overflows folded as it does.
    folded = numpy.where(hashes == -(2**31), (2**31 - N_FEATURES) % N_FEATURES, abs(hashes))
    features, repeats = numpy.unique(folded % N_FEATURES, return_counts=True)
    return features.astype(numpy.int32), (1.0 + numpy.log(repeats)).astype(numpy.float32)
