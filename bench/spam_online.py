"""The spam bench's online run: the product on a stream in Date order, deciding and learning
as it does (nothing held before the model is trained, every wrong decision corrected at
once, answered tickets and unreleased held mail taught after their delays), beside the
baseline refitted on corrections or on everything."""

from __future__ import annotations

import datetime as dt
import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from bench import spam_starter
from bench.spam_data import Baseline, Corpus
from bench.spam_errors import breakdown, misses
from classifier import SpamModel
from classifier.features import row_from
from classifier.message import extract
from gateway.settings.config import SpamSection


@dataclass
class Policy:
    """How the stream teaches the model, besides the corrections made at once.

    ``answer_hours``: an answered ham ticket is learned this long after it arrived (None:
    never). ``confirm_hours``: held mail that nobody released is learned as spam this long
    after it was held (None: never). ``everything``: every message learned at once.
    """

    answer_hours: float | None = None
    confirm_hours: float | None = None
    everything: bool = False


def online_ours(
    c: Corpus,
    order: list[int],
    threshold: float,
    policy: Policy,
    start: Callable[[], SpamModel] = SpamModel.new,
    scores: list[float] | None = None,
    explain: dict[int, list[tuple[str, float]]] | None = None,
) -> list[bool]:
    """The product on a stream: hold as the spam stage does, learn as agents would.

    ``start`` makes the model of minute one (a cold start by default); ``scores``, when
    given, receives the score of each message as it was decided, and ``explain`` the
    features that drove each wrong decision (by place in the stream), as the model of
    that moment named them.
    """
    model = start()
    wrong: list[bool] = []
    due: list[tuple[datetime, int, bool]] = []  # delayed lessons, by due time

    def later(hours: float | None, i: int, is_spam: bool) -> None:
        if hours is not None:
            heapq.heappush(due, (c.dates[i] + dt.timedelta(hours=hours), i, is_spam))

    for i in order:
        while due and due[0][0] <= c.dates[i]:
            _, j, lesson = heapq.heappop(due)
            model.learn_rows(c.matrix[j], [lesson], threshold)
        row = c.matrix[i]
        is_spam = bool(c.labels[i])
        probability = float(model.probabilities(row)[0])
        if scores is not None:
            scores.append(probability)
        held = model.holds(probability, threshold)
        wrong.append(held != is_spam)
        if held != is_spam and explain is not None:
            explain[len(wrong) - 1] = model.score_row(
                row_from(extract(c.raws[i]), c.raws[i])
            ).top_features
        if held != is_spam or policy.everything:
            model.learn_rows(row, [is_spam], threshold)
        elif held:
            later(policy.confirm_hours, i, True)
        else:
            later(policy.answer_hours, i, False)
    return wrong


RECALL = 0.99  # the recall at which the later half's FP is given (at_recall)


def fp_at_recall(scores: list[float], labels: Any, recall: float) -> tuple[float, float] | None:
    """The later half's (threshold, FP rate) at the highest threshold that holds
    ``recall`` of its spam; None when the later half lacks ham or spam."""
    half = len(scores) // 2
    late = np.asarray(scores[half:])
    spam = np.asarray(labels[half:], bool)
    if not spam.any() or spam.all():
        return None
    # The k-th highest spam score, k = ceil(recall * n): holding from there holds k of n.
    ranked = np.sort(late[spam])[::-1]
    cut = float(ranked[int(np.ceil(recall * len(ranked))) - 1])
    return cut, float((late[~spam] >= cut).mean())


def at_recall(scores: list[float], labels: Any, recall: float) -> str:
    """The later half's FP at the highest threshold that holds ``recall`` of its spam.

    A ranking figure beside the threshold's: how much ham a threshold that caught nearly
    all the later spam would hold, the scores being those the stream's model gave each
    message when it came.
    """
    found = fp_at_recall(scores, labels, recall)
    if found is None:
        spam = np.asarray(labels[len(scores) // 2 :], bool)
        return f"later half: no {'ham' if spam.all() else 'spam'} to judge at {recall:.0%} recall"
    cut, fp = found
    return f"later half at {recall:.0%} spam recall (held from score {cut:.4f}): FP rate {fp:6.2%}"


def online_baseline(c: Corpus, order: list[int], learn_all: bool, every: int) -> list[bool]:
    """Corrections: refit at each one. Learn-all: refit every ``every`` messages (batch)."""
    seen: list[int] = []
    model = Baseline([], np.array([], bool))
    wrong: list[bool] = []
    for n, i in enumerate(order):
        is_spam = bool(c.labels[i])
        mistaken = bool(model.proba([c.texts[i]])[0] > 0.5) != is_spam
        wrong.append(mistaken)
        if mistaken or learn_all:
            seen.append(i)
        if (mistaken and not learn_all) or (learn_all and (n + 1) % every == 0):
            model = Baseline([c.texts[j] for j in seen], c.labels[seen])
    return wrong


def online(
    c: Corpus,
    refit_every: int,
    threshold: float,
    answer_hours: float,
    product_only: bool = False,
    starter: bool = False,
    show_misses: bool = False,
) -> None:
    order = c.order
    first_model: Callable[[], SpamModel] = SpamModel.new
    if starter:  # the mail the starter sample holds is left out of the stream
        first_model, order = spam_starter.start_and_order(c.raws, order)
        print(f"  from the starter model; {len(c.order) - len(order)} messages it holds left out")
    n = len(order)
    late_ham = [k for k in range(n // 2, n) if not c.labels[order[k]]]
    begin = "the starter model and from a cold start" if starter else "a cold start"
    print(
        f"== 2. online run in Date order from {begin} ({n} messages); ours held at "
        f"{threshold} once trained, the baseline at 0.5"
    )
    confirm = SpamSection().confirm_hours or None
    product = Policy(answer_hours=answer_hours, confirm_hours=confirm)
    scores: list[float] = []  # the product's run: each message's score when decided
    explain: dict[int, list[tuple[str, float]]] | None = {} if show_misses else None
    runs: list[tuple[str, Callable[[], list[bool]]]] = [
        (
            f"classifier, the product (answers {answer_hours:g} h, confirm {confirm} h)",
            lambda: online_ours(c, order, threshold, product, first_model, scores, explain),
        ),
        ("classifier, corrections only", lambda: online_ours(c, order, threshold, Policy())),
        (
            f"classifier, corrections + answered ham ({answer_hours:g} h)",
            lambda: online_ours(c, order, threshold, Policy(answer_hours=answer_hours)),
        ),
        (
            "classifier, learns every message at once",
            lambda: online_ours(c, order, threshold, Policy(everything=True)),
        ),
        ("tfidf+lr, corrections only (refit each)", lambda: online_baseline(c, order, False, 0)),
        (
            f"tfidf+lr, learns every message (refit every {refit_every})",
            lambda: online_baseline(c, order, True, refit_every),
        ),
    ]
    if starter:  # against a cold start on the same stream
        runs = [
            ("classifier, the product from the starter model", runs[0][1]),
            (
                "classifier, the product from a cold start",
                lambda: online_ours(c, order, threshold, product),
            ),
        ]
    for name, run in runs[:1] if product_only and not starter else runs:
        start = time.perf_counter()
        wrong = run()
        errors = sum(wrong)
        fp_late = sum(wrong[k] for k in late_ham) / len(late_ham)
        print(
            f"  {name:56s} errors {errors:4d} ({errors / n:5.2%}) = corrections needed; "
            f"FP rate over last half {fp_late:6.2%}  [{time.perf_counter() - start:.1f} s]"
        )
        print("    " + breakdown(c.labels, c.groups, c.matrix, order, wrong))
        if starter:
            print("    " + spam_starter.first_errors(wrong))
        if scores:
            print("    " + at_recall(scores, c.labels[order], RECALL))
            if explain is not None:
                for text in misses(c.raws, c.labels, c.matrix, order, scores, explain):
                    print("    " + text)
                explain = None
            scores.clear()
