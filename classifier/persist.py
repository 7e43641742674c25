"""Serialize a SpamModel with its format and scikit-learn versions; refuse what does not fit.

Layout: ``MAGIC``, a 4-byte big-endian header length, a JSON header, then the payload
(zlib-compressed pickle). The header carries the format version, the feature version, the
scikit-learn version and the SHA-256 of the payload, so a truncated, foreign or stale blob
is reported as such before anything is unpickled.

The weights are stored sparse, as float32: a trained model has about a third of its two
million weights set, and the dense float64 array made every lesson write 6 MB in a
quarter of a second (now about 3.5 MB in a tenth).
"""

from __future__ import annotations

import copy
import hashlib
import json
import pickle
import struct
import zlib
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from classifier.bayes import TokenCounts
from classifier.errors import ModelLoadError
from classifier.features import FEATURES_VERSION, N_FEATURES
from classifier.recent import RecentLessons

MAGIC = b"HDSPAM\x00\x01"
# 2: weights stored sparse, float32; 3: the corpora learnt (sources); 4: the sources in
# the header too, so that a model of a later format still says what it was built from.
FORMAT_VERSION = 4


class Persistable(Protocol):
    """What is saved of a model (SpamModel; named here so persist need not import model)."""

    @property
    def estimator(self) -> Any: ...
    @property
    def counts(self) -> dict[str, int]: ...
    @property
    def version(self) -> int: ...
    @property
    def recent(self) -> RecentLessons: ...
    @property
    def sources(self) -> list[dict[str, Any]]: ...
    @property
    def bayes(self) -> TokenCounts: ...


M = TypeVar("M")


def sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


def _sparse_weights(estimator: Any) -> Any:
    """The weights as (indices int32, values float32), or None before any learning.

    The live weights are rounded to float32 too, so that the model in memory and the one
    stored score every message the same, bit for bit.
    """
    import numpy as np

    coef = getattr(estimator, "coef_", None)
    if coef is None:
        return None
    indices = np.flatnonzero(coef[0])
    values = coef[0, indices].astype(np.float32)
    coef[0, indices] = values
    return indices.astype(np.int32), values


def _dense_weights(weights: Any) -> Any:
    import numpy as np

    indices, values = weights
    if len(indices) != len(values) or (len(indices) and int(indices.max()) >= N_FEATURES):
        raise ValueError("bad weights")
    coef = np.zeros((1, N_FEATURES))
    coef[0, indices] = values
    return coef


def dumps(model: Persistable) -> bytes:
    """The model as bytes for the database."""
    weights = _sparse_weights(model.estimator)
    estimator = copy.copy(model.estimator)  # shallow: only the weights are left out
    if weights is not None:
        estimator.coef_ = None
    state = {
        "estimator": estimator,
        "weights": weights,
        "counts": dict(model.counts),
        "version": model.version,
        "recent": model.recent.to_state(),
        "sources": [dict(x) for x in model.sources],
        "bayes": model.bayes.to_state(),
    }
    # Level 1: a lesson is written at once, and level 6 saved 5% for twice the time.
    payload = zlib.compress(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL), 1)
    header = json.dumps(
        {
            "format": FORMAT_VERSION,
            "features": FEATURES_VERSION,
            "n_features": N_FEATURES,
            "sklearn": sklearn_version(),
            "sha256": hashlib.sha256(payload).hexdigest(),
            "sources": [dict(x) for x in model.sources],
        }
    ).encode()
    return MAGIC + struct.pack(">I", len(header)) + header + payload


def read_header(data: bytes) -> dict[str, Any]:
    """The JSON header of serialized model bytes; ModelLoadError if there is none."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
        raise ModelLoadError("corrupt", "not a serialized spam model")
    (size,) = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])
    start = len(MAGIC) + 4
    try:
        header = json.loads(data[start : start + size])
    except ValueError as exc:
        raise ModelLoadError("corrupt", f"unreadable header: {exc}") from None
    if not isinstance(header, dict):
        raise ModelLoadError("corrupt", "header is not an object")
    header["_payload_offset"] = start + size
    return header


Build = Callable[[Any, dict[str, int], int, RecentLessons, list[dict[str, Any]], TokenCounts], M]


def recorded_sources(data: bytes) -> list[dict[str, Any]]:
    """The corpora a stored model was built from, even when it is of another format.

    From the header where it carries them (format 4 on); from the payload of the formats
    before (3 kept them only there); ``[]`` when neither can be read. A model that no
    longer loads is rebuilt from these and the learning log (gateway.spam.rebuild).
    """
    try:
        header = read_header(data)
    except ModelLoadError:
        return []
    if isinstance(header.get("sources"), list):
        return _clean_sources(header["sources"])
    payload = data[header["_payload_offset"] :]
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        return []
    try:
        # Only the state dict's own fields are read; an estimator pickled by another
        # scikit-learn may fail to unpickle, and then nothing is recovered.
        state = pickle.loads(zlib.decompress(payload))
        return _clean_sources(state.get("sources") or [])
    except Exception:
        return []


def _clean_sources(items: list[Any]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            out.append(
                {
                    "name": item["name"],
                    "ham": int(item.get("ham", 0)),
                    "spam": int(item.get("spam", 0)),
                }
            )
    return out


def loads(data: bytes, build: Build[M]) -> M:
    """Rebuild a model (`build`: SpamModel) from ``dumps`` output, or raise ModelLoadError."""
    header = read_header(data)
    if header.get("format") != FORMAT_VERSION:
        raise ModelLoadError(
            "format_version", f"format {header.get('format')!r}, expected {FORMAT_VERSION}"
        )
    if header.get("features") != FEATURES_VERSION or header.get("n_features") != N_FEATURES:
        raise ModelLoadError(
            "format_version",
            f"features {header.get('features')!r}, expected {FEATURES_VERSION}",
        )
    if header.get("sklearn") != sklearn_version():
        # Pickled estimators are only guaranteed to load in the version that wrote them.
        raise ModelLoadError(
            "sklearn_version",
            f"written by scikit-learn {header.get('sklearn')}, running {sklearn_version()}",
        )
    payload = data[header["_payload_offset"] :]
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise ModelLoadError("corrupt", "checksum mismatch (truncated or altered)")
    try:
        state = pickle.loads(zlib.decompress(payload))
        estimator = state["estimator"]
        if state["weights"] is not None:
            estimator.coef_ = _dense_weights(state["weights"])
        recent = RecentLessons.from_state(state["recent"], N_FEATURES)
        counts = dict(state["counts"])
        if set(counts) != {"ham", "spam"}:
            raise ValueError("bad counts")
        sources = [dict(x) for x in state["sources"]]
        # A model stored before the token counts loads with none: they count from then on.
        bayes = TokenCounts.from_state(state.get("bayes"))
        model = build(estimator, counts, int(state["version"]), recent, sources, bayes)
    except Exception as exc:
        raise ModelLoadError("corrupt", f"undecodable payload: {exc}") from None
    return model
