"""Scale-out benchmark: 2 and 3 daemons on one PostgreSQL database, one SIGKILLed mid-burst.

    .venv/bin/python bench/scaleout.py [-n 5000] [--daemons 2,3]

For each fleet size: a private PostgreSQL cluster (tests/postgres.py), N mails split
across the daemons' SMTP ports, the last daemon SIGKILLed (with its processing process)
once it has acknowledged a third of its share; what it had not acknowledged is sent to
another daemon. Prints the mails acknowledged, tickets made (and any made twice), mails
not processed, outgoing mails queued / written / written twice, and the wall time until
the survivors have processed and sent everything (mails per second). Every check must
read 0 in its "twice"/"astray"/"lost" columns.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--daemons", default="2,3")
    args = parser.parse_args()
    for daemons in (int(d) for d in args.daemons.split(",")):
        load = os.getloadavg()
        with private_postgres() as url, tempfile.TemporaryDirectory() as tmp:
            upgrade(url)
            o = scaleout.run(Path(tmp), url, daemons, args.n, settle=1800.0)
        lost = len(o.acknowledged - set(o.tickets))
        twice = sum(1 for c in o.tickets.values() if c > 1)
        sent_twice = sum(1 for c in o.delivered.values() if c > 1)
        not_written = len(set(o.outbox_ids) - set(o.delivered))
        print(
            f"{daemons} daemons (load {load[0]:.1f}): {len(o.acknowledged)} acknowledged, "
            f"victim killed after {o.killed_after}; tickets {sum(o.tickets.values())}, "
            f"lost {lost}, twice {twice}, astray {len(o.astray)}; outgoing "
            f"{len(o.outbox_ids)} queued, {sum(o.delivered.values())} written, "
            f"twice {sent_twice}, not written {not_written}, unsent rows {o.unsent}; "
            f"{o.seconds:.1f} s to settle ({args.n / o.seconds:.0f} mails/s); spool rows by "
            f"attempts {dict(sorted(o.attempts.items()))} (1 claimed once, 3 retried alone "
            "after the kill, more: interruptions that never happened)"
        )
        # What became of an acknowledged mail that made no ticket: its spool row.
        for row_id, state, error in o.astray[:10]:
            print(f"  astray inbound {row_id}: {state}: {error[:300]}")


if __name__ == "__main__":
    main()
