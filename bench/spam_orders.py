"""The spam bench's online run over several orders of the same stream (``--orders N``).

One order of the stream is one trajectory: the model a lesson meets depends on which mail
came before it, and moving one message within its day moves the count of corrections by
a few. To judge a change by more than that noise, the stream is run in Date order and in
N-1 seeded shuffles within each day (the same days in the same order, each day's mail in
another order), and the corrections and the FP at 99% recall are given per order and as
their mean.

A shuffled stream keeps the clock of the Date order: the k-th message of a day arrives at
the time the k-th message of that day did, so lessons taught after a delay (an answer
after 4 h) come due as they would, on a clock that never runs backwards.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, date, datetime

import numpy as np

from bench.spam_data import Corpus
from bench.spam_online import RECALL, Policy, fp_at_recall, online_ours


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def day_shuffle(dates: list[datetime], order: list[int], seed: int) -> list[int]:
    """``order`` (a stream in Date order) with each UTC day's messages in a seeded shuffle.

    Seed 0 is the Date order itself; any other seed gives the same order each time.
    """
    if seed == 0:
        return list(order)
    rng = np.random.default_rng(seed)
    out: list[int] = []
    start = 0
    while start < len(order):
        end = start
        while end < len(order) and _day(dates[order[end]]) == _day(dates[order[start]]):
            end += 1
        out.extend(order[start + int(k)] for k in rng.permutation(end - start))
        start = end
    return out


def reclocked(c: Corpus, order: list[int], shuffled: list[int]) -> Corpus:
    """``c`` with the clock of ``order`` laid on ``shuffled``: its k-th message gets the
    date of the k-th message of ``order`` (the same day, as both keep the days)."""
    dates = list(c.dates)
    for k, i in enumerate(shuffled):
        dates[i] = c.dates[order[k]]
    return dataclasses.replace(c, dates=dates)


@dataclasses.dataclass
class OrderRun:
    """One order's figures."""

    seed: int
    missed_spam: int
    held_ham: int
    fp_late: float  # FP rate over the later half, at the threshold
    fp_at_recall: float  # FP rate over the later half at RECALL (nan: not judged)
    seconds: float

    @property
    def corrections(self) -> int:
        return self.missed_spam + self.held_ham


def run_order(c: Corpus, seed: int, threshold: float, policy: Policy) -> OrderRun:
    """The product's online run on the stream shuffled within days by ``seed``."""
    started = time.perf_counter()
    n = len(c.order)
    order = day_shuffle(c.dates, c.order, seed)
    scores: list[float] = []
    wrong = np.array(
        online_ours(reclocked(c, c.order, order), order, threshold, policy, scores=scores)
    )
    labels = c.labels[order]
    late_ham = ~labels & (np.arange(n) >= n // 2)
    fp = fp_at_recall(scores, labels, RECALL)
    return OrderRun(
        seed,
        int((wrong & labels).sum()),
        int((wrong & ~labels).sum()),
        float((wrong & late_ham).sum() / max(1, late_ham.sum())),
        fp[1] if fp is not None else float("nan"),
        time.perf_counter() - started,
    )


def line(run: OrderRun, n: int) -> str:
    kind = "Date order" if run.seed == 0 else "shuffled within days"
    return (
        f"  order {run.seed} ({kind}): corrections {run.corrections:4d} "
        f"({run.corrections / n:5.2%}): spam let through {run.missed_spam}, ham held "
        f"{run.held_ham}; FP over the later half {run.fp_late:6.2%}, at {RECALL:.0%} "
        f"recall {run.fp_at_recall:6.2%}  [{run.seconds:.1f} s]"
    )


def summary(runs: list[OrderRun], n: int) -> str:
    errors = [r.corrections for r in runs]
    mean = float(np.mean(errors))
    return (
        f"  mean over {len(runs)} orders: corrections {mean:.1f} ({mean / n:5.2%}), "
        f"min {min(errors)}, max {max(errors)}; spam let through "
        f"{np.mean([r.missed_spam for r in runs]):.1f}, ham held "
        f"{np.mean([r.held_ham for r in runs]):.1f}; FP at {RECALL:.0%} recall "
        f"{np.mean([r.fp_at_recall for r in runs]):6.2%}"
    )


def online_orders(c: Corpus, n_orders: int, threshold: float, policy: Policy) -> None:
    """The product's online run on ``n_orders`` orders; per order and the mean."""
    n = len(c.order)
    print(
        f"== 2. online run, the product, {n_orders} orders of the stream ({n} messages: the "
        f"Date order and {n_orders - 1} shuffles within each day); held at {threshold}"
    )
    runs: list[OrderRun] = []
    for seed in range(n_orders):
        runs.append(run_order(c, seed, threshold, policy))
        print(line(runs[-1], n), flush=True)
    print(summary(runs, n))
