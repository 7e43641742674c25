"""The model's most recent lessons, replayed so that a new lesson does not undo them.

A linear model taught one message at a time with a large step learns fast but forgets
fast: a ham lesson pushes down every feature the message shares with the spam taught an
hour before, and that spam is let through again. After each lesson, the recent ones are
scored again and any that now fall within the model's margin of the threshold, or past
it, are learned once more, a few passes at most (the buffer of a relaxed online SVM,
Sculley and Wachman 2007). The buffer is
small and is stored with the model, so a restart or another daemon replays the same.
"""

from __future__ import annotations

from collections import deque
from typing import Any

# Lessons kept. 50 while lessons were replayed only when on the wrong side of the
# threshold (200 gained nothing then); replayed until a margin past it (model.MARGIN),
# 200 held 82 errors of the online run where 50 held 89 and 400 81 (bench/spam.py
# --online-only). About 13 KB a lesson in a stored model.
CAPACITY = 200
PASSES = 5  # replay passes after a lesson; each fixes what the last one broke


class RecentLessons:
    """A bounded queue of (feature row, is_spam) pairs."""

    def __init__(self, items: list[tuple[Any, bool]] | None = None) -> None:
        self._items: deque[tuple[Any, bool]] = deque(items or [], maxlen=CAPACITY)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, row: Any, is_spam: bool) -> None:
        """Keep one CSR row (copied compactly: it may be a view of a large matrix)."""
        import numpy as np
        import scipy.sparse as sp

        compact = sp.csr_matrix(row, dtype=np.float64)
        compact.indices = compact.indices.astype(np.int32)
        self._items.append((compact, bool(is_spam)))

    def forget(self, positions: list[int]) -> None:
        """Drop the lessons at these positions (as in ``stacked``)."""
        drop = set(positions)
        kept = [item for n, item in enumerate(self._items) if n not in drop]
        self._items = deque(kept, maxlen=CAPACITY)

    def stacked(self) -> tuple[Any, Any]:
        """The rows as one CSR matrix, and their labels as a bool array."""
        import numpy as np
        import scipy.sparse as sp

        rows = [row for row, _ in self._items]
        return sp.vstack(rows, format="csr"), np.array([s for _, s in self._items])

    def to_state(self) -> list[tuple[Any, Any, bool]]:
        """Picklable and small: per row, its column indices (int32) and values (float32)."""
        import numpy as np

        return [
            (row.indices.astype(np.int32), row.data.astype(np.float32), is_spam)
            for row, is_spam in self._items
        ]

    @classmethod
    def from_state(cls, state: list[tuple[Any, Any, bool]], n_features: int) -> RecentLessons:
        """Rebuild from ``to_state``; raises ValueError on anything else."""
        import numpy as np
        import scipy.sparse as sp

        items = []
        for indices, values, is_spam in state:
            if len(indices) != len(values) or (len(indices) and max(indices) >= n_features):
                raise ValueError("bad recent lesson")
            row = sp.csr_matrix(
                (np.asarray(values, np.float64), np.asarray(indices, np.int32), [0, len(indices)]),
                shape=(1, n_features),
            )
            items.append((row, bool(is_spam)))
        return cls(items)
