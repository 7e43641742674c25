"""Instructions a processed message costs, empty desk against a long history: a figure the
machine's load does not move (a shared VM's wall rate moves by a third between runs).

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=OUT \\
        .venv/bin/python bench/instructions.py [DB] [--new 100] [--replies 40]
    callgrind_annotate OUT | head -40

Stores `--new` new mails and `--replies` threaded replies (bench/scale.py's) into DB as it
is (copy it first: the run writes to it; an empty database in a temporary folder without
one), loads the similar-ticket index as the daemon does at start, processes a mail and a
reply to it (imports, caches and the first lookup's weighting), then has callgrind count
instructions only while the runner drains each batch (callgrind_control turns the
counting on and off: start-up, imports and the index's load are not counted). Prints the batches'
sizes; callgrind's totals (and per-function costs) are in OUT, one dump per batch.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.drain import runner_beside_checkpointer  # noqa: E402
from bench.runner_queries import _spool  # noqa: E402
from bench.scale import CONFIG, _mail  # noqa: E402
from gateway.daemon.supervisor import prepare_database  # noqa: E402
from gateway.settings import config as config_mod  # noqa: E402
from gateway.similar.warm import warm  # noqa: E402
from gateway.store.db import upgrade  # noqa: E402
from tests.harness import write_config  # noqa: E402


def _callgrind(*args: str) -> None:
    """Ask the callgrind running this process; Python keeps running meanwhile (valgrind
    reads its commands between blocks of the guest's code, not while it waits)."""
    if not os.environ.get("LD_PRELOAD", "").count("vgpreload"):
        return  # not under valgrind: the run still works, counting nothing
    child = subprocess.Popen(["callgrind_control", *args, str(os.getpid())])
    while child.poll() is None:
        sum(range(1000))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db", nargs="?", type=Path)
    ap.add_argument("--new", type=int, default=100)
    ap.add_argument("--replies", type=int, default=40)
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="instructions-"))
    config = write_config(work, CONFIG)
    if opts.db is not None:
        url = f"sqlite:///{opts.db.resolve()}"
        config.write_text(
            config.read_text().replace('url = "sqlite:///var/helpdesk.db"', f'url = "{url}"')
        )
        upgrade(url)
    cfg = config_mod.load(config)
    db = prepare_database(cfg)
    # The checkpointer beside the runner as in the daemon (its thread's work is counted).
    with runner_beside_checkpointer(db, cfg) as runner:
        with db.read() as session:
            warm(session, cfg.database_url, cfg.suggestions.categories)
        # One of each first: a reply's first processing imports and compiles what it uses.
        _spool(db, [_mail(10**6)])
        runner.drain()
        _spool(db, [_mail(10**6 + 1, f"<n{10**6}@bench.example>")])
        runner.drain()
        for name, batch in (
            ("new", [_mail(i) for i in range(opts.new)]),
            ("replies", [_mail(i, f"<n{i * 2}@bench.example>") for i in range(opts.replies)]),
        ):
            _spool(db, batch)
            _callgrind("--instr=on")
            _callgrind("--zero")
            done = runner.drain()
            _callgrind("--instr=off")
            _callgrind(f"--dump={name} {done}")
            print(f"{name}: {done} messages", flush=True)
    db.dispose()


if __name__ == "__main__":
    main()
