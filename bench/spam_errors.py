"""Where the errors of an online run of bench/spam.py are: its breakdown line, and with
--misses a line per error."""

from __future__ import annotations

from typing import Any

import numpy as np

NEAR = 0.7  # cosine of the features from which a missed spam is a near copy of one before


def _nearest(unit: Any, labels: Any, k: int) -> float:
    """The highest cosine between stream message ``k`` and the spam before it."""
    before = np.flatnonzero(labels[:k])
    return float((unit[before] @ unit[k].T).max()) if len(before) else 0.0


def breakdown(
    labels_all: Any, groups: list[str], matrix: Any, order: list[int], wrong: list[bool]
) -> str:
    """Where an online run's errors are: their kind, place in the stream, folder, and how
    many missed spam had a near copy (cosine >= 0.7 of the features) among the spam
    before it: a campaign the model had seen and forgot, rather than a new one."""
    from sklearn.preprocessing import normalize

    labels = labels_all[order]
    errs = np.array(wrong, bool)
    late = np.arange(len(order)) >= len(order) // 2
    unit = normalize(matrix[order])
    known = sum(_nearest(unit, labels, int(k)) >= NEAR for k in np.flatnonzero(errs & labels))
    folders: dict[str, int] = {}
    for k in np.flatnonzero(errs):
        folders[groups[order[k]]] = folders.get(groups[order[k]], 0) + 1
    recall_late = 1.0 - (errs & labels & late).sum() / max(1, (labels & late).sum())
    return (
        f"missed spam {int((errs & labels).sum())} ({known} with a near copy learnt before), "
        f"held ham {int((errs & ~labels).sum())}; in the first 500 {int(errs[:500].sum())}, "
        f"after {int(errs[500:].sum())}; spam recall over last half {recall_late:.2%}; "
        + ", ".join(f"{g} {n}" for g, n in sorted(folders.items()))
    )


def misses(
    raws: list[bytes],
    labels_all: Any,
    matrix: Any,
    order: list[int],
    scores: list[float],
    explain: dict[int, list[tuple[str, float]]],
) -> list[str]:
    """One line per wrong decision of an online run: its place, kind, score, for missed
    spam the nearest spam before it (below NEAR: the first of its kind), its subject and
    the features that drove the score (as the model of that moment named them)."""
    from sklearn.preprocessing import normalize

    from classifier.message import extract

    labels = labels_all[order]
    unit = normalize(matrix[order])
    lines = []
    for k, top in sorted(explain.items()):
        kind = "spam let through" if labels[k] else "ham held"
        near = f" nearest spam before {_nearest(unit, labels, k):.2f}" if labels[k] else ""
        subject = extract(raws[order[k]]).subject[:60]
        features = ", ".join(f"{name} {value:+.2f}" for name, value in top[:8])
        lines.append(f"#{k} {kind} at {scores[k]:.3f}{near}: {subject!r}: {features}")
    return lines
