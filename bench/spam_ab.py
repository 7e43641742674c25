"""Scoring throughput of two checkouts' classifier, interleaved in one process.

On a machine shared with other work, two benchmark runs minutes apart see different
loads; here both versions score the same chunks of the SpamAssassin corpus in turn (in
a random order per chunk), so that the load falls on both alike. The model is learnt once
by the first checkout and loaded by both (same feature version). Run:

    python bench/spam_ab.py OLD_CHECKOUT NEW_CHECKOUT [--seconds 60]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

_FOLDERS: tuple[tuple[str, bool], ...] = (
    ("easy-ham-1", False),
    ("easy-ham-2", False),
    ("hard-ham-1", False),
    ("spam-1", True),
    ("spam-2", True),
)


def _load(root: Path) -> Any:
    """The ``classifier`` package of ``root``, imported afresh."""
    for name in [m for m in sys.modules if m == "classifier" or m.startswith("classifier.")]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        import classifier
    finally:
        sys.path.remove(str(root))
    if not str(classifier.__file__).startswith(str(root)):
        raise SystemExit(f"{root}: classifier imported from {classifier.__file__}")
    return classifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("roots", type=Path, nargs=2)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpora/spamassassin"))
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    raws: list[bytes] = []
    labels: list[bool] = []
    for folder, is_spam in _FOLDERS:
        for path in sorted((args.corpus / folder).iterdir()):
            raws.append(path.read_bytes())
            labels.append(is_spam)
    roots = [r.resolve() for r in args.roots]
    first = _load(roots[0]).SpamModel.new()
    first.learn_many(zip(raws[::3], labels[::3], strict=True))
    model_bytes = first.dumps()
    sample = raws[1::3]
    scorers: list[Callable[[bytes], Any]] = []
    for root in roots:
        model = _load(root).SpamModel.loads(model_bytes)
        for raw in sample[:50]:  # lazy imports and caches
            model.score(raw)
        scorers.append(model.score)
    chunks = [sample[i : i + 20] for i in range(0, len(sample), 20)]
    wall, cpu, done = [0.0, 0.0], [0.0, 0.0], [0, 0]
    rng = random.Random(0)
    end = time.time() + args.seconds
    k = 0
    while time.time() < end:
        chunk = chunks[k % len(chunks)]
        k += 1
        for i in rng.sample([0, 1], 2):
            t0, c0 = time.perf_counter(), time.process_time()
            for raw in chunk:
                scorers[i](raw)
            wall[i] += time.perf_counter() - t0
            cpu[i] += time.process_time() - c0
            done[i] += len(chunk)
    for i, root in enumerate(roots):
        print(
            f"{root}: {done[i]} messages, {done[i] / wall[i]:.0f}/s wall, "
            f"{done[i] / cpu[i]:.0f}/s CPU"
        )
    print(f"second/first: {wall[0] / wall[1]:.3f} wall, {cpu[0] / cpu[1]:.3f} CPU")


if __name__ == "__main__":
    main()
