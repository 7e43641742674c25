"""An in-memory cosine nearest-neighbour index over stored text examples.

Rows are added one at a time (a ticket closes, a category is corrected) or loaded from the
`text_examples` table by id, so that a long-running process reads only what is new. The
inverse document frequencies come from the rows themselves, which keeps words every
ticket has ("здравствуйте", "please") from deciding what is similar.

Its cost must not follow the desk's history (a million tickets, most solved):
- it holds the newest `window` rows only (older ones are dropped, and a fresh process
  loads only the newest), which bounds its memory, its loading and each lookup;
- the weighted rows are kept by feature too (compressed columns: an inverted index), so
  that a lookup reads the rows sharing the query's rarer n-grams, not every row, and
  scores exactly only the best of those;
- rows added since the last full weighting wait in a tail weighted with the current
  frequencies and indexed by feature as well (gateway.similar.tail), so that a lookup
  reads its rare n-grams' postings there too and scores exactly only the best rows of
  both parts, whatever the tail's length; the whole is weighted again only once the tail
  is a tenth of the rest (frequencies of a set a tenth bigger barely move), so each
  addition costs its own rows and, amortised, a tenth of a row's share of a rebuild —
  never a copy of the whole.
A replaced row (a ticket closed again) is masked out at once and dropped at the rebuild.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.similar import examples
from gateway.similar.candidates import largest, postings, query_weights, rarest
from gateway.similar.rows import Rows, dots
from gateway.similar.tail import Tail
from gateway.similar.vectors import counts
from gateway.similar.weighting import reachable, weigh_window
from gateway.store.model import TextExample

# The newest rows an index keeps (tens of megabytes, a few seconds to load).
WINDOW = 20_000
# Rows scored exactly per lookup besides 4 per neighbour asked for (see Index._scores).
CANDIDATES = 32
# How long a lookup trusts the rows it has when this process stored none since: rows
# other processes store (another daemon on a shared database) are read this much later.
REFRESH_SECONDS = 1.0
# Postings (row entries of the query's rarest n-grams) read per lookup to find them:
# twice a full window's rows (fewer found worse candidates on bench/similar.py's grown
# fixture: precision@3 0.97 at 40,000, 0.93 at 24,576, 0.83 at 8,192).
POSTINGS = 40_000


@dataclass(frozen=True)
class Hit:
    ticket_id: int
    label: str
    answer: str
    score: float


class Index:
    """The newest rows of one `text_examples` index ("solved" or "category")."""

    def __init__(self, name: str, window: int = WINDOW) -> None:
        self.name = name
        self.window = window
        self.last_id = 0
        # Whether the window's first row was looked for (once a process: on an empty
        # table last_id stays 0, and each lookup would look again).
        self._started = False
        self._keys: list[tuple[int, str, str]] = []  # ticket id, label, answer; by position
        self._at: dict[int, int] = {}  # ticket id -> its live position
        self._dead: set[int] = set()  # positions replaced since the rebuild
        self._blocks: list[Any] = []  # count rows (CSR) of every position, in order
        self._weighted = 0  # positions [0, _weighted) are in _columns
        self._rows: Rows | None = None  # weighted, normalised rows of [0, _weighted) (CSR)
        self._columns: Rows | None = None  # the same by feature (CSC): the inverted index
        self._df: Any = None  # in how many of those rows each feature is
        self._dense: Any = None  # a lookup's buffer, zero between lookups
        self._dead_positions: Any = None  # _dead as an array, while it has not changed
        self._tail: Tail | None = None  # the positions after [0, _weighted), weighted
        self._tail_blocks = 0  # how many of the blocks after the first are in _tail
        self._idf: Any = None
        self._lock = threading.Lock()
        # One refresh at a time (the daemon loads at start beside the runner): a second
        # waits for the first, then reads only what is newer still.
        self._refreshing = threading.Lock()
        self._looked: float | None = None  # when refresh_due last read the table
        self._stored_seen = -1  # examples.stored() then

    def __len__(self) -> int:
        return len(self._at)

    def refresh_due(self, session: Session, now: float | None = None) -> int:
        """`refresh` before a lookup, when it may find something: this process stored an
        example since the last one (a ticket closed, a category set: seen at once), or
        REFRESH_SECONDS passed. Otherwise the statement's round trip through the ORM
        would cost more than the lookup itself, for rows that are not there."""
        now = time.monotonic() if now is None else now
        stored = examples.stored()
        if (
            self._looked is not None
            and stored == self._stored_seen
            and now - self._looked < REFRESH_SECONDS
        ):
            return 0
        # Counted before the reading: a row stored meanwhile is read the next time.
        self._stored_seen, self._looked = stored, now
        return self.refresh(session)

    def refresh(self, session: Session, batch: int = 5000) -> int:
        """Load the rows stored since the last refresh (the newest `window` at first)."""
        with self._refreshing:
            return self._refresh(session, batch)

    def _refresh(self, session: Session, batch: int) -> int:
        if not self._started and self.window > 0:
            # A fresh process starts from the window's oldest row, not the table's.
            start = session.scalar(
                select(TextExample.id)
                .where(TextExample.index == self.name)
                .order_by(TextExample.id.desc())
                .offset(self.window)
                .limit(1)
            )
            self.last_id = start or 0
            self._started = True
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
        latest = {tid: i for i, (tid, _, _, _) in enumerate(items)}  # the last one counts
        items = [item for i, item in enumerate(items) if latest[item[0]] == i]
        matrix = counts([text for _, _, text, _ in items])
        with self._lock:
            for tid, label, _, answer in items:
                old = self._at.get(tid)
                if old is not None:
                    self._dead.add(old)
                self._at[tid] = len(self._keys)
                self._keys.append((tid, label, answer))
            self._blocks.append(matrix)

    def _pending(self) -> int:
        return len(self._keys) - self._weighted

    def _rebuild(self) -> None:
        """Weigh every live row of the window again: new frequencies, dead rows gone."""
        import scipy.sparse

        stacked = scipy.sparse.vstack(self._blocks, format="csr")
        live = [i for i in range(len(self._keys)) if i not in self._dead]
        if self.window > 0:
            live = live[-self.window :]
        if len(live) < len(self._keys):
            stacked = stacked[live]
            self._keys = [self._keys[i] for i in live]
        self._at = {key[0]: i for i, key in enumerate(self._keys)}
        self._dead, self._dead_positions = set(), None
        self._blocks = [stacked]
        weighted = weigh_window(stacked)
        self._idf, self._df = weighted.idf, weighted.df
        self._rows, self._columns = weighted.rows, weighted.columns
        self._weighted = stacked.shape[0]
        self._tail, self._tail_blocks = Tail(weighted), 0

    def weigh(self) -> None:
        """Weigh the window now if a lookup would (the daemon does it as it starts, so the
        first new ticket does not wait for it)."""
        with self._lock:
            self._weigh_due()

    def _weigh_due(self) -> None:
        # Weighed again once the tail is a tenth of the rest; that also keeps the window's
        # overflow under a tenth of it.
        if self._at and (self._columns is None or 10 * self._pending() > self._weighted):
            self._rebuild()

    def _weigh_tail(self) -> Tail:
        """The rows after the weighted ones, weighted with the current frequencies; only
        the blocks added since the last call are weighed (a row's weights are its own)."""
        assert self._tail is not None, "weighed after a rebuild"
        for block in self._blocks[1 + self._tail_blocks :]:
            self._tail.add(block)
            self._tail_blocks += 1
        return self._tail

    def _dead_array(self) -> Any:
        """The replaced positions as an array (rebuilt only when one more was replaced)."""
        import numpy

        if self._dead_positions is None or len(self._dead_positions) != len(self._dead):
            self._dead_positions = numpy.fromiter(self._dead, numpy.int64, len(self._dead))
        return self._dead_positions

    def _scores(self, text: str, k: int, floor: float) -> tuple[Any, Any]:
        """(positions, their cosine similarity with `text`): the candidates worth scoring;
        none when no row can reach `floor` (the features' peak weights tell, before any
        postings are read). The query's rarest n-grams, up to POSTINGS postings in the
        weighted rows and the tail's indexed ones, find the candidates (a row sharing only
        n-grams most rows have is no match worth proposing); the best are scored exactly,
        and so are the tail's few fresh rows: bounded work whatever the window holds."""
        import numpy

        assert self._rows is not None and self._columns is not None, "scored after a rebuild"
        tail = self._weigh_tail()
        features, weights = query_weights(text, self._idf)
        # The margin: the bound and the scores are sums of the same products, rounded apart.
        if floor > 0 and reachable(tail.peak, features, weights) < floor - 1e-6:
            return numpy.zeros(0, dtype=numpy.int64), numpy.zeros(0)
        # The rare n-grams' postings summed by position, then the best of those sums.
        rare_features, rare_weights = rarest(tail.df, features, weights, POSTINGS)
        partial = postings(self._columns, rare_features, rare_weights, self._weighted)
        if tail.indexed:
            partial = numpy.concatenate([partial, tail.partial(rare_features, rare_weights)])
        dead = self._dead_array()
        if len(dead):
            partial[dead[dead < len(partial)]] = 0.0
        found = largest(partial, CANDIDATES + 4 * k)
        weighted, in_tail = found[found < self._weighted], found[found >= self._weighted]
        # The query as a dense vector, in a buffer kept zero between lookups (a new one
        # would be two megabytes to clear each time).
        if self._dense is None:
            self._dense = numpy.zeros(self._idf.shape[0])
        dense = self._dense
        dense[features] = weights
        try:
            fresh = numpy.arange(self._weighted + tail.indexed, len(self._keys))
            positions = [weighted, in_tail, fresh]
            scores = [
                dots(self._rows, weighted, dense),
                tail.exact(in_tail - self._weighted, dense),
                tail.fresh(dense),
            ]
        finally:
            dense[features] = 0.0
        if len(dead) and len(fresh):
            alive = ~numpy.isin(fresh, dead)
            positions[2], scores[2] = fresh[alive], scores[2][alive]
        return numpy.concatenate(positions), numpy.concatenate(scores)

    def query(self, text: str, k: int, exclude: int | None = None, floor: float = 0.0) -> list[Hit]:
        """The `k` nearest rows to `text` by cosine similarity, best first, none scoring
        under `floor`."""
        if not self._at or not text.strip() or k <= 0:
            return []
        import numpy

        with self._lock:
            self._weigh_due()
            positions, scores = self._scores(text, k, floor)
            if not len(scores):
                return []
            # Only the best few need sorting: argpartition is linear in the candidates.
            top = min(len(scores), k + 1)
            best = numpy.argpartition(-scores, top - 1)[:top]
            order = best[numpy.argsort(-scores[best])]
            picked = [(self._keys[positions[i]], float(scores[i])) for i in order]
        hits = []
        for (tid, label, answer), score in picked:
            if score <= 0 or score < floor:
                break
            if tid == exclude:
                continue
            hits.append(Hit(tid, label, answer, score))
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
