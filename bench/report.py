"""Time `helpdesk report` (a month, the whole period) and one escalation check at scale.

Builds (once; reused while the file exists) an SQLite database of the product's schema with
1,000,000 tickets over two years: 20,000 requesters, 20 agents, 2-4 messages per ticket,
their events, ratings on a third, 100,000 tickets still open with their SLA clocks running.
Then prints the seconds of the report for the last month and for the whole period (JSON,
grouped by agent), the charts of the month, and one escalation check, with EXPLAIN QUERY
PLAN of the report's statements.

With `--before SRC --before-db PATH` it first runs the same bench of the code in SRC (a
checkout of the baseline, e.g. `git archive main`) on PATH (a database at the baseline's
schema), in the same run, and prints both sets of figures side by side with their ratio
and the machine's load before and after.

Usage: python bench/report.py [--db PATH] [--tickets N] [--rebuild] [--explain] [--groupings]
       [--before SRC --before-db PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from gateway.escalation.check import run_check
from gateway.reports import chartdata
from gateway.reports.build import build
from gateway.reports.figures import BY, Period
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.store.db import Database, upgrade

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.report_build import END, START, build_db, is_built  # noqa: E402

CFG = {
    "helpdesk": {"address": "support@example.com", "locale": "ru"},
    "sla": [
        {
            "name": "std",
            "business_hours": "09:00-18:00",
            "timezone": "Europe/Moscow",
            "targets": [
                {"criticality": "high", "response": "1h", "resolve": "1d", "update": "2h"},
                {"criticality": "medium", "response": "4h", "resolve": "3d"},
                {"criticality": "low", "response": "1d", "resolve": "5d"},
            ],
        }
    ],
}


FIGURES: dict[str, float] = {}
_FIGURE = re.compile(r"^(.+): ([0-9.]+) s$")


def timed(label: str, fn: Any) -> Any:
    start = time.perf_counter()
    value = fn()
    FIGURES[label] = time.perf_counter() - start
    print(f"{label}: {FIGURES[label]:.2f} s", flush=True)
    return value


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def before(src: Path, db: Path, tickets: int, groupings: bool) -> dict[str, float]:
    """The baseline's figures: its own bench/report.py, its code first on the path."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [sys.executable, str(src / "bench" / "report.py"), "--db", str(db)]
    command += ["--tickets", str(tickets)] + (["--groupings"] if groupings else [])
    print(f"== before ({src}), {load()}", flush=True)
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    found: dict[str, float] = {}
    for line in out.splitlines():
        print("   " + line)
        m = _FIGURE.match(line)
        if m:
            found[m.group(1)] = float(m.group(2))
    return found


def compare(old: dict[str, float]) -> None:
    print(f"== before / after ({load()})")
    print(f"{'measure':34} {'before s':>9} {'after s':>9} {'after/before':>13}")
    for label, after in FIGURES.items():
        if label.startswith("build"):
            continue
        was = old.get(label)
        ratio = f"{after / was:.3f}" if was else "-"
        print(
            f"{label:34} {was if was is not None else float('nan'):9.2f} {after:9.2f} {ratio:>13}"
        )


def explain(db: Database, cfg: Any, period: Period) -> None:
    """EXPLAIN QUERY PLAN of every statement the month's report runs."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", record)
    with db.read() as session:
        build(session, cfg, period, "agent")
    event.remove(db.engine, "before_cursor_execute", record)
    with db.engine.connect() as conn:
        for statement in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            compiled = statement
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + compiled,
                tuple(_dummy(compiled)),
            ).fetchall()
            print("--", " ".join(statement.split())[:140])
            for row in plan:
                print("   ", row[-1])


def _dummy(statement: str) -> list[Any]:
    """Placeholder values of the right kind for EXPLAIN (plans do not depend on them)."""
    return ["2026-11-01 00:00:00.000000"] * statement.count("?")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("/tmp/helpdesk-bench-report.db"))
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--groupings", action="store_true", help="also the whole period by every --by grouping"
    )
    parser.add_argument("--before", type=Path, help="the baseline's source tree")
    parser.add_argument("--before-db", type=Path, help="a database at the baseline's schema")
    args = parser.parse_args()
    old = before(args.before, args.before_db, args.tickets, args.groupings) if args.before else None
    if old is not None:
        print(f"== after (this tree), {load()}", flush=True)
    url = f"sqlite:///{args.db}"
    if args.rebuild and args.db.exists():
        args.db.unlink()
    db = Database(url)
    if not args.db.exists() or not is_built(db):
        upgrade(url)
        timed(f"build {args.tickets} tickets", lambda: build_db(db, args.tickets))
    upgrade(url)  # a database built by an older tree gets this one's indexes
    cfg = config_mod.from_dict(CFG)
    month = Period(END - dt.timedelta(days=30), END)
    whole = Period(START - dt.timedelta(days=1), END + dt.timedelta(days=1))
    with db.read() as session:
        counts = session.execute(
            text("SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM messages)")
        ).one()
    print(f"database: {counts[0]} tickets, {counts[1]} messages")
    for label, period in (("month", month), ("whole period", whole)):
        with db.read() as session:
            report = timed(f"report {label}", lambda p=period: build(session, cfg, p, "agent"))
        print(f"  opened {report['totals']['opened']}, closed {report['totals']['closed']}")
    if args.groupings:
        for by in BY:
            with db.read() as session:
                timed(f"report whole period by {by}", lambda b=by: build(session, cfg, whole, b))
    with db.read() as session:
        timed("report month, no grouping", lambda: build(session, cfg, month, None))
        data = timed("chart data month", lambda: chartdata.collect(session, cfg, month))
    from gateway.reports import charts

    timed("charts month (7 PNG)", lambda: charts.render_all(data, "ru"))
    services = Services.from_config(cfg)
    with db.engine.connect() as conn:
        due = conn.exec_driver_sql(
            "SELECT count(*) FROM tickets WHERE next_escalation_at IS NOT NULL "
            "AND next_escalation_at <= ?",
            (END.replace(tzinfo=None).isoformat(sep=" "),),
        ).scalar()
        running = conn.exec_driver_sql("SELECT count(*) FROM tickets WHERE closed = 0").scalar()
    print(f"escalation: {running} open tickets, {due} with a milestone due")
    session = db.session()
    try:
        result = timed("escalation check", lambda: run_check(session, services, END))
        print(f"  {result.milestones} milestones on {result.tickets} tickets, {result.mails} mails")
    finally:
        session.rollback()  # the bench database stays as built
        session.close()
    if args.explain:
        explain(db, cfg, month)
    if old is not None:
        compare(old)


if __name__ == "__main__":
    main()
