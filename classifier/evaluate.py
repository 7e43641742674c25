"""Measure a model on labelled mail without learning from it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from classifier.features import FeatureContext
from classifier.model import SPAM_THRESHOLD, SpamModel

_CHUNK = 256


@dataclass(frozen=True)
class Metrics:
    """Accuracy, spam recall and false-positive rate (ham called spam) at a threshold."""

    accuracy: float
    spam_recall: float
    false_positive_rate: float
    n_ham: int
    n_spam: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_counts(cls, n_ham: int, n_spam: int, false_pos: int, true_pos: int) -> Metrics:
        total = n_ham + n_spam
        correct = true_pos + (n_ham - false_pos)
        return cls(
            accuracy=correct / total if total else 0.0,
            spam_recall=true_pos / n_spam if n_spam else 0.0,
            false_positive_rate=false_pos / n_ham if n_ham else 0.0,
            n_ham=n_ham,
            n_spam=n_spam,
        )


def _count_spam(
    model: SpamModel, raws: Iterable[bytes], threshold: float, context: FeatureContext | None
) -> tuple[int, int]:
    """How many of ``raws`` score at least ``threshold`` (held), and how many there were."""
    hits = total = 0
    chunk: list[bytes] = []

    def flush() -> int:
        return int((model.probabilities(model.features(chunk, context)) >= threshold).sum())

    for raw in raws:
        chunk.append(raw)
        total += 1
        if len(chunk) == _CHUNK:
            hits += flush()
            chunk = []
    if chunk:
        hits += flush()
    return hits, total


def evaluate(
    model: SpamModel,
    ham: Iterable[bytes],
    spam: Iterable[bytes],
    threshold: float = SPAM_THRESHOLD,
    context: FeatureContext | None = None,
) -> Metrics:
    """Score every message with ``model`` (learning nothing) and summarize."""
    false_pos, n_ham = _count_spam(model, ham, threshold, context)
    true_pos, n_spam = _count_spam(model, spam, threshold, context)
    return Metrics.from_counts(n_ham, n_spam, false_pos, true_pos)
