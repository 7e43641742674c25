"""Where the errors of an online run of bench/spam.py are (its breakdown line)."""

from __future__ import annotations

from typing import Any

import numpy as np


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
    known = 0
    for k in np.flatnonzero(errs & labels):
        before = np.flatnonzero(labels[:k])
        if len(before) and (unit[before] @ unit[k].T).max() >= 0.7:
            known += 1
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
