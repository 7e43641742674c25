"""The processing rate on a large desk against an empty one, in interleaved rounds.

    .venv/bin/python bench/scale_rounds.py [--db /tmp/helpdesk-scale/scale-1000000.db]
                                           [--rounds 6] [--batch 250] [--dir DIR]

bench/scale.py measures the empty desk, then the large one, minutes apart: on a machine
others share, the load moves more between the two than the desk's size does (the same
code gave ratios from 0.3 to 1.6). Here one process holds both desks, each with its
runner and checkpointer as the daemon has them (bench/drain.py) and its similar-ticket
index loaded and weighed as the daemon does at start, and feeds them batches of
bench/scale.py's new mails in turn (which one goes first alternating), so each round's
ratio of the two rates is taken under the same load. Prints each round's rates, processor
time per message and ratios (by wall time and by processor time), their medians and the
load. The large desk is a copy of a file bench/scale.py --keep built (the copy is
written, the file stays as built).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.drain import runner_beside_checkpointer  # noqa: E402
from bench.scale import CONFIG, _mail  # noqa: E402
from gateway import spool  # noqa: E402
from gateway.daemon.supervisor import prepare_database  # noqa: E402
from gateway.settings import config as config_mod  # noqa: E402
from gateway.similar.warm import warm  # noqa: E402
from gateway.store.db import upgrade  # noqa: E402
from tests.harness import write_config  # noqa: E402


def _config(directory: Path, url: str | None) -> Path:
    config = write_config(directory, CONFIG)
    if url is not None:
        text = config.read_text()
        config.write_text(text.replace('url = "sqlite:///var/helpdesk.db"', f'url = "{url}"'))
    return config


def rounds(
    configs: dict[str, Path], count: int, batch: int
) -> dict[str, list[tuple[float, float]]]:
    """(messages/s, processor ms a message) of each desk's batch, round by round."""
    done: dict[str, list[tuple[float, float]]] = {name: [] for name in configs}
    with contextlib.ExitStack() as stack:
        runners = {}
        for name, path in configs.items():
            cfg = config_mod.load(path)
            db = prepare_database(cfg)
            stack.callback(db.dispose)
            runner = stack.enter_context(runner_beside_checkpointer(db, cfg))
            with db.read() as s:
                warm(s, cfg.database_url, cfg.suggestions.categories)
            runners[name] = (db, runner)
        names = list(configs)
        for k in range(count):
            for name in names if k % 2 == 0 else names[::-1]:
                db, runner = runners[name]
                with db.write() as s:
                    for i in range(k * batch, (k + 1) * batch):
                        spool.store(
                            s,
                            _mail(i),
                            source="smtp",
                            mail_from="x@bench.example",
                            rcpt_to=["support@example.com"],
                        )
                t0, c0 = time.perf_counter(), time.process_time()
                runner.drain()
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                done[name].append((batch / wall, cpu * 1000 / batch))
    return done


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--db",
        type=Path,
        default=Path(tempfile.gettempdir()) / "helpdesk-scale" / "scale-1000000.db",
    )
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(dir=opts.dir))
    try:
        (work / "empty").mkdir()
        (work / "large").mkdir()
        copy = work / "large" / "helpdesk.db"
        shutil.copy(opts.db, copy)
        url = f"sqlite:///{copy}"
        upgrade(url)  # a file kept from an earlier revision
        configs = {"empty": _config(work / "empty", None), "large": _config(work / "large", url)}
        done = rounds(configs, opts.rounds, opts.batch)
    finally:
        shutil.rmtree(work)
    for name, figures in done.items():
        rates = " ".join(f"{rate:.0f}" for rate, _ in figures)
        cpu = " ".join(f"{ms:.2f}" for _, ms in figures)
        print(f"{name:6} new mails/s: {rates}; processor ms a message: {cpu}")
    pairs = list(zip(done["empty"], done["large"], strict=True))
    by_wall = [large[0] / empty[0] for empty, large in pairs]
    by_cpu = [empty[1] / large[1] for empty, large in pairs]
    print(
        f"large/empty ({opts.db.name}) by wall: {' '.join(f'{x:.2f}' for x in by_wall)}, "
        f"median {statistics.median(by_wall):.2f}; by processor time: "
        f"{' '.join(f'{x:.2f}' for x in by_cpu)}, median {statistics.median(by_cpu):.2f}"
    )
    print("load: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
