"""Exceptions of the spam classifier, named by condition."""

from __future__ import annotations


class ClassifierError(Exception):
    """Base class of every error the classifier raises on purpose."""


class ModelLoadError(ClassifierError):
    """A serialized model cannot be used; ``reason`` says why in one word.

    Reasons: ``corrupt`` (not our format, truncated, checksum mismatch or undecodable),
    ``format_version`` (written by another model format), ``sklearn_version`` (pickled by
    another scikit-learn, whose estimators are not guaranteed to unpickle correctly).
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"cannot load spam model ({reason}): {detail}")
        self.reason = reason
        self.detail = detail
