"""The learning spam filter: features of mail, an online model, persistence, evaluation.

Stands alone (no gateway imports); scikit-learn is imported only when a model is built,
loaded or used, because the import costs about a second.
"""

from __future__ import annotations

from classifier.errors import ClassifierError, ModelLoadError
from classifier.evaluate import Metrics, evaluate
from classifier.features import FeatureContext
from classifier.model import MIN_SPAM, SPAM_THRESHOLD, Score, SpamModel
from classifier.sources import SourceNotFoundError, iter_messages

__all__ = [
    "MIN_SPAM",
    "SPAM_THRESHOLD",
    "ClassifierError",
    "FeatureContext",
    "Metrics",
    "ModelLoadError",
    "Score",
    "SourceNotFoundError",
    "SpamModel",
    "evaluate",
    "iter_messages",
]
