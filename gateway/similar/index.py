"""An in-memory cosine nearest-neighbour index over stored text examples.

Rows are added one at a time (a ticket closes, a category is corrected) or loaded from the
`text_examples` table by id, so that a long-running process reads only what is new. The
inverse document frequencies come from the rows themselves and are recomputed lazily when
rows were added, which keeps words every ticket has ("здравствуйте", "please") from
deciding what is similar.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.similar.vectors import counts
from gateway.store.model import TextExample


@dataclass(frozen=True)
class Hit:
    ticket_id: int
    label: str
    answer: str
    score: float


class Index:
    """The rows of one `text_examples` index ("solved" or "category")."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.last_id = 0
        self._keys: list[tuple[int, str, str]] = []  # ticket id, label, answer
        self._counts: Any = None  # sparse count rows (CSR), one per key
        self._matrix: Any = None  # weighted, normalised; None: to rebuild
        self._idf: Any = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._keys)

    def refresh(self, session: Session, batch: int = 5000) -> int:
        """Load the rows stored since the last refresh; how many were new."""
        added = 0
        while True:
            found = session.execute(
                select(
                    TextExample.id,
                    TextExample.ticket_id,
                    TextExample.label,
                    TextExample.text,
                    TextExample.answer,
                )
                .where(TextExample.index == self.name, TextExample.id > self.last_id)
                .order_by(TextExample.id)
                .limit(batch)
            ).all()
            if not found:
                return added
            self.add([(r.ticket_id, r.label, r.text, r.answer) for r in found])
            self.last_id = found[-1].id
            added += len(found)

    def add(self, items: list[tuple[int, str, str, str]]) -> None:
        """Add (ticket id, label, text, answer) rows; a ticket already present is replaced."""
        if not items:
            return
        import scipy.sparse

        matrix = counts([text for _, _, text, _ in items])
        with self._lock:
            replaced = {tid for tid, _, _, _ in items}
            if self._counts is not None and any(k[0] in replaced for k in self._keys):
                keep = [i for i, k in enumerate(self._keys) if k[0] not in replaced]
                self._keys = [self._keys[i] for i in keep]
                self._counts = self._counts[keep]
            self._keys += [(tid, label, answer) for tid, label, _, answer in items]
            self._counts = (
                matrix
                if self._counts is None
                else scipy.sparse.vstack([self._counts, matrix], format="csr")
            )
            self._matrix = None

    def _weighted(self) -> Any:
        import numpy
        from sklearn.preprocessing import normalize

        if self._matrix is None:
            stacked = self._counts
            df = numpy.bincount(stacked.indices, minlength=stacked.shape[1])
            n = stacked.shape[0]
            self._idf = numpy.log((1.0 + n) / (1.0 + df)) + 1.0
            self._matrix = normalize(stacked.multiply(self._idf).tocsr(), norm="l2")
        return self._matrix

    def query(self, text: str, k: int, exclude: int | None = None) -> list[Hit]:
        """The `k` nearest rows to `text` by cosine similarity, best first."""
        if not self._keys or not text.strip() or k <= 0:
            return []
        import numpy
        from sklearn.preprocessing import normalize

        with self._lock:
            matrix = self._weighted()
            q = normalize(counts([text]).multiply(self._idf).tocsr(), norm="l2")
            scores = numpy.asarray((matrix @ q.T).todense()).ravel()
            keys = list(self._keys)
        # Only the best few need sorting: argpartition is linear in the index size.
        top = min(len(scores), k + 1)
        best = numpy.argpartition(-scores, top - 1)[:top]
        order = best[numpy.argsort(-scores[best])]
        hits = []
        for i in order:
            if scores[i] <= 0:
                break
            tid, label, answer = keys[i]
            if tid == exclude:
                continue
            hits.append(Hit(tid, label, answer, float(scores[i])))
            if len(hits) >= k:
                break
        return hits


_INDEXES: dict[tuple[str, str], Index] = {}


def shared(database_key: str, name: str) -> Index:
    """This process's index `name` for one database (the tests run several in a process)."""
    key = (database_key, name)
    if key not in _INDEXES:
        _INDEXES[key] = Index(name)
    return _INDEXES[key]
