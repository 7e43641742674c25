"""PostgreSQL throughput: tickets per second end to end with 1 and 2 daemons sharing one
database, measured in the same run.

    .venv/bin/python bench/pg_throughput.py [-n 1000] [--daemons 1,2] [--rounds 1]

For each fleet size: a fresh private PostgreSQL cluster (tests/postgres.py), N mails
split across the daemons' SMTP ports (one sender per daemon, as tests/scaleout.py does,
nobody killed), timed from the first mail sent until every mail is a ticket and every
confirmation and agent notice is written to the shared Maildir. Prints tickets/s per fleet
and the ratio of each to the one-daemon figure of the same round, with the machine's load.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gateway.store.db import upgrade  # noqa: E402
from tests import scaleout  # noqa: E402
from tests.postgres import private_postgres  # noqa: E402


def measure(daemons: int, total: int) -> tuple[float, str]:
    """Tickets per second for one fleet, and what the checks found amiss (empty: none)."""
    with private_postgres() as url, tempfile.TemporaryDirectory() as tmp:
        upgrade(url)
        o = scaleout.run(Path(tmp), url, daemons, total, settle=3600.0, kill=False)
    problems = []
    if set(o.tickets) != o.acknowledged or max(o.tickets.values(), default=0) > 1:
        problems.append("tickets do not match the acknowledged mails one to one")
    if o.astray or o.unsent:
        problems.append(f"{len(o.astray)} spool rows not done, {o.unsent} outbox rows unsent")
    return sum(o.tickets.values()) / o.seconds, "; ".join(problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--daemons", default="1,2")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    fleets = [int(d) for d in args.daemons.split(",")]
    for round_no in range(1, args.rounds + 1):
        rates: dict[int, float] = {}
        for daemons in fleets:
            load = os.getloadavg()[0]
            rate, problems = measure(daemons, args.n)
            rates[daemons] = rate
            base = rates.get(fleets[0], rate)
            print(
                f"round {round_no}: {daemons} daemon(s), {args.n} mails (load {load:.1f}): "
                f"{rate:.1f} tickets/s end to end, {rate / base:.2f}x {fleets[0]} daemon(s)"
                + (f"; PROBLEMS: {problems}" if problems else ""),
                flush=True,
            )


if __name__ == "__main__":
    main()
