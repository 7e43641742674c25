"""The runner alone, for bench/ingest.py: spooled messages drained by one runner thread.

Each round runs in a fresh process of a checkout (this one, or `--baseline`'s, with its
own .venv and modules), so that a before and an after alternate under the same load.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The runner alone, in a fresh process of a checkout (this one, or --baseline's, whose
# own modules it imports), so that the two alternate under the same load of the machine:
# the messages spooled first, then drained by one runner thread (one core); tickets/s by
# the wall clock and by the process's CPU time (less disturbed by other load).
_RUNNER_CHILD = """
import json, pickle, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from gateway import spool
from gateway.daemon.runner import Runner
from gateway.daemon.supervisor import prepare_database
from gateway.services import Services
from gateway.settings import config as config_mod
from tests.harness import write_config
raws = pickle.loads(Path(sys.argv[2]).read_bytes())
with tempfile.TemporaryDirectory() as tmp:
    cfg = config_mod.load(write_config(Path(tmp), sys.argv[3]))
    db = prepare_database(cfg)  # the schema and the [[agents]], as the daemon has them
    with db.write() as s:
        for raw in raws:
            spool.store(s, raw, source="bench", rcpt_to=["support@example.com"])
    runner = Runner(db, Services.from_config(cfg))
    start, cpu = time.perf_counter(), time.process_time()
    n = runner.drain()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    db.dispose()
print(json.dumps([n / elapsed, n / cpu]))
"""


def runner_rate(checkout: Path, raws: list[bytes], config: str) -> tuple[float, float]:
    """Tickets/s (wall clock, CPU time) of `checkout`'s runner draining `raws`."""
    python = checkout / ".venv/bin/python"
    with tempfile.NamedTemporaryFile(suffix=".pickle") as batch:
        batch.write(pickle.dumps(raws))
        batch.flush()
        argv = [str(checkout), batch.name, config]
        out = subprocess.run(
            [str(python if python.exists() else sys.executable), "-c", _RUNNER_CHILD, *argv],
            cwd=checkout,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    wall, cpu = json.loads(out.strip().splitlines()[-1])
    return float(wall), float(cpu)


def runners(args: argparse.Namespace, raws: list[bytes], config: str) -> None:
    """The runner alone, `--runner-rounds` times, alternating with `--baseline`'s."""
    trees = [("this checkout", REPO)]
    if args.baseline is not None:
        trees.insert(0, ("baseline " + str(args.baseline), args.baseline.resolve()))
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in trees}
    for _ in range(args.runner_rounds):
        for name, tree in trees:
            rates[name].append(runner_rate(tree, raws, config))
    for name, got in rates.items():
        walls, cpus = [w for w, _ in got], [c for _, c in got]
        print(
            f"runner alone, one thread, {name}: {statistics.median(walls):.0f} tickets/s "
            f"(median of {', '.join(f'{r:.0f}' for r in walls)}), by CPU time "
            f"{statistics.median(cpus):.0f}/s ({', '.join(f'{r:.0f}' for r in cpus)})"
        )
    if args.baseline is not None:
        # Each round's pair ran back to back: their ratio is the least disturbed figure.
        pairs = zip(*rates.values(), strict=True)
        ratios = sorted(ours[1] / base[1] for base, ours in pairs)
        print(
            f"    this checkout / baseline by CPU time, per round: median "
            f"{statistics.median(ratios):.2f} ({', '.join(f'{r:.2f}' for r in ratios)})"
        )
    print("    (parse, thread, store, confirmation and agent notice queued, committed)")
