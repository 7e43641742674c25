"""Spam filter benchmark: cross-validation, an online run with agent corrections, throughput,
and a split by Date (older half learned, newer half judged).

Figures are given at the product's quarantine threshold (`[spam] threshold`'s default) as
well as at 0.5, and the online run decides and learns as the product does: nothing is held
before the model is trained (SpamModel.holds), every wrong decision is corrected at once
with SpamModel.learn_rows (what `#spam` and a release call), and, in the product's own
policy, answered tickets teach ham (`learn_from_answers`) and held mail nobody released
teaches spam (`confirm_hours`), each after its delay on the stream's clock.

Compares the classifier package with a plain TF-IDF + logistic-regression batch baseline
fitted on the same text extraction. Run: python bench/spam.py [--corpus PATH].
"""

from __future__ import annotations

import os

# One thread each for BLAS/OpenMP: the throughput figure is for a single core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.spam_data import Baseline, Corpus, load, rates  # noqa: E402
from bench.spam_online import Policy, online  # noqa: E402
from classifier import SpamModel  # noqa: E402
from classifier.message import extract  # noqa: E402
from gateway.settings.config import SpamSection  # noqa: E402


def cross_validate(c: Corpus, folds: int, quarantine: float) -> None:
    print(f"== 1. {folds}-fold stratified cross-validation (threshold 0.5, then {quarantine})")
    ours = np.zeros(len(c.labels))
    base = np.zeros(len(c.labels))
    t_ours = t_base = 0.0
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(
        c.texts, c.labels
    ):
        start = time.perf_counter()
        model = SpamModel.new()
        model.learn_matrix(c.matrix[train], c.labels[train].tolist())
        ours[test] = model.probabilities(c.matrix[test])
        t_ours += time.perf_counter() - start
        start = time.perf_counter()
        baseline = Baseline([c.texts[i] for i in train], c.labels[train])
        base[test] = baseline.proba([c.texts[i] for i in test])
        t_base += time.perf_counter() - start
    for name, proba, seconds in (("classifier", ours, t_ours), ("tfidf+lr  ", base, t_base)):
        print(f"  {name}  {rates(proba > 0.5, c.labels)}  [{seconds:.1f} s]")
    print(f"  at the quarantine threshold ({quarantine}, held when the score is at least that):")
    for name, proba in (("classifier", ours), ("tfidf+lr  ", base)):
        print(f"  {name}  {rates(proba >= quarantine, c.labels)}")
    print("  at other thresholds (classifier):")
    for threshold in sorted({0.7, 0.9, 0.95, 0.99, quarantine}):
        pred = ours > threshold
        print(
            f"    > {threshold:<5} spam recall {pred[c.labels].mean():7.2%}  "
            f"FP rate {pred[~c.labels].mean():6.2%}"
        )


def time_split(c: Corpus, quarantine: float) -> None:
    """Learn the older half by Date, judge the newer: drift that shuffled folds hide."""
    order = np.array(c.order)
    train, test = order[: len(order) // 2], order[len(order) // 2 :]
    print(f"== 4. time split: bootstrap on the older {len(train)}, score the newer {len(test)}")
    model = SpamModel.new()
    model.learn_matrix(c.matrix[train], c.labels[train].tolist())
    ours = model.probabilities(c.matrix[test])
    baseline = Baseline([c.texts[i] for i in train], c.labels[train])
    base = baseline.proba([c.texts[i] for i in test])
    for name, proba in (("classifier", ours), ("tfidf+lr  ", base)):
        for threshold in (0.5, quarantine):
            print(f"  {name} at {threshold:<4}  {rates(proba >= threshold, c.labels[test])}")


def throughput(c: Corpus, n: int) -> None:
    print(f"== 3. scoring throughput (one message at a time, parsing included, {n} messages)")
    model = SpamModel.new()
    model.learn_matrix(c.matrix, c.labels.tolist())
    sample = c.raws[:: max(1, len(c.raws) // n)][:n]
    start = time.perf_counter()
    for raw in sample:
        model.score(raw)
    ours = len(sample) / (time.perf_counter() - start)
    print(f"  classifier  {ours:7.0f} messages/s   model size {len(model.dumps()):>9,} bytes")
    baseline = Baseline(c.texts, c.labels)
    start = time.perf_counter()
    for raw in sample:
        ex = extract(raw)
        baseline.proba([ex.subject + "\n" + ex.text])
    base = len(sample) / (time.perf_counter() - start)
    size = len(zlib.compress(pickle.dumps((baseline.vectorizer, baseline.lr)), 6))
    print(f"  tfidf+lr    {base:7.0f} messages/s   model size {size:>9,} bytes (pickle, zlib)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path("../shared/corpora/spamassassin"),
        help="SpamAssassin folders, a TREC index, or ham/ and spam/ folders",
    )
    parser.add_argument("--ham", type=Path, action="append", default=[], help="instead")
    parser.add_argument("--spam", type=Path, action="append", default=[], help="instead")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--quarantine", type=float, default=SpamSection().threshold)
    parser.add_argument(
        "--refit-every",
        type=int,
        default=0,
        help="baseline refits when learning every message (default: 250, or 1/24 of a "
        "larger stream, so that a big corpus takes minutes, not hours)",
    )
    parser.add_argument(
        "--answer-hours", type=float, default=4.0, help="delay before an answer teaches ham"
    )
    parser.add_argument("--throughput-n", type=int, default=1000)
    parser.add_argument(
        "--cross",
        action="store_true",
        help="cross-corpus mode instead (bench/spam_cross.py): learn one corpus, judge "
        "another both ways, per year, and the starter corpus on the mail it left out",
    )
    parser.add_argument(
        "--online-only",
        action="store_true",
        help="only the online run of the product's policy (a loaded machine: minutes, "
        "not the hour of every run and baseline)",
    )
    parser.add_argument(
        "--orders",
        type=int,
        default=1,
        help="with --online-only: the product's run on the Date order and N-1 seeded "
        "shuffles within each day, per order and the mean (bench/spam_orders.py)",
    )
    parser.add_argument(
        "--from-starter",
        action="store_true",
        help="with --online-only: the stream starts from the starter model "
        "(`spam train --starter`), the mail its sample holds left out",
    )
    parser.add_argument(
        "--misses",
        action="store_true",
        help="with --online-only: a line for each wrong decision (score, nearest spam "
        "before it, the features that drove it)",
    )
    parser.add_argument(
        "--throughput-only",
        action="store_true",
        help="only the scoring throughput and the model size (learnt on the whole corpus)",
    )
    parser.add_argument(
        "--corpora", type=Path, default=Path("../shared/corpora"), help="for --cross"
    )
    parser.add_argument(
        "--other", type=Path, action="append", default=[], help="--cross: ham/ spam/ folders"
    )
    args = parser.parse_args()
    if args.cross:
        run_cross(args.corpora, args.other, args.quarantine)
        return
    start = time.perf_counter()
    corpus, layout = load(args.corpus, args.ham, args.spam)
    n_spam = int(corpus.labels.sum())
    print(
        f"corpus {args.corpus} ({layout}): {len(corpus.raws) - n_spam} ham, {n_spam} spam, "
        f"{corpus.undated} undated (loaded and featurized in {time.perf_counter() - start:.1f} s)"
    )
    refit_every = args.refit_every or max(250, len(corpus.raws) // 24)
    if args.online_only and args.orders > 1:
        from bench.spam_orders import online_orders

        confirm = SpamSection().confirm_hours or None
        policy = Policy(answer_hours=args.answer_hours, confirm_hours=confirm)
        online_orders(corpus, args.orders, args.quarantine, policy)
        return
    if args.online_only:
        online(
            corpus,
            refit_every,
            args.quarantine,
            args.answer_hours,
            product_only=True,
            starter=args.from_starter,
            show_misses=args.misses,
        )
        return
    if args.throughput_only:
        throughput(corpus, args.throughput_n)
        return
    cross_validate(corpus, args.folds, args.quarantine)
    online(corpus, refit_every, args.quarantine, args.answer_hours)
    throughput(corpus, args.throughput_n)
    time_split(corpus, args.quarantine)
    print(f"total {time.perf_counter() - start:.0f} s")


def run_cross(corpora: Path, other: list[Path], quarantine: float) -> None:
    from bench import spam_cross

    start = time.perf_counter()
    sets = spam_cross.spamassassin(corpora / "spamassassin")
    tg = corpora / "tg_spam_ru" / "data"
    if tg.is_dir():
        sets.append(spam_cross.tg_lines(tg))
    sets.extend(spam_cross.folders(path) for path in other)
    for s in sets:
        print(f"{s.name}: {int((~s.labels).sum())} ham, {int(s.labels.sum())} spam")
    spam_cross.cross(sets, quarantine)
    spam_cross.by_period(sets, quarantine)
    spam_cross.starter(sets, quarantine)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
