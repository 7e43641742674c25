"""Texts to sparse rows: character 3..5-grams within words, so that "принтер",
"принтера" and "принтеры" share most of their features (morphology-tolerant without a
stemmer), for Russian and English alike; counts are sublinear (1 + log tf)."""

from __future__ import annotations

import re
from typing import Any

N_FEATURES = 2**18
_vectorizer: Any = None
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
