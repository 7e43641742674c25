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
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from gateway.escalation.check import run_check
from gateway.reports import chartdata
from gateway.reports.build import build
from gateway.reports.figures import BY, Period
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.store.db import Database, upgrade
from gateway.store.model import KeyValue

END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
START = END - dt.timedelta(days=730)
AGENTS = 20
REQUESTERS = 20_000
OPEN = 100_000
CHUNK = 50_000
CATEGORIES = ("printers", "network", "accounts", "mail", "hardware", "software", "")
LEVELS = ("low", "medium", "high")
SOURCES = ("smtp", "smtp", "smtp", "imap:it", "deliver")
DOMAINS = ("example.com", "corp.test", "mail.ru", "yandex.ru", "пример.рф", "firma.example")
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


TICKET_COLS = [
    "id",
    "subject",
    "requester_id",
    "assignee_id",
    "status",
    "closed",
    "criticality",
    "category",
    "last_public_by",
    "source",
    "created_at",
    "updated_at",
    "sla_level",
    "response_due_at",
    "resolve_due_at",
    "first_response_at",
    "resolved_at",
    "first_response_s",
    "resolution_s",
    "sla_paused_s",
    "breached",
    "extra",
    "escalated",
    "next_escalation_at",
    "rating",
    "public_messages",
]
MESSAGE_COLS = [
    "id",
    "ticket_id",
    "author_id",
    "kind",
    "hidden",
    "subject",
    "body",
    "quoted",
    "signature",
    "full_text",
    "html",
    "parse_problems",
    "created_at",
]
EVENT_COLS = ["id", "ticket_id", "at", "actor", "kind", "old", "new"]
RATING_COLS = ["ticket_id", "user_id", "grade", "label", "comment", "at"]
LABELS = ("Ответ устраивает", "Недостаточно полно", "Ответ не устраивает")


def _ts(value: dt.datetime | None) -> str | None:
    """As the schema stores it on SQLite (naive UTC, microseconds)."""
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _flush(conn: Any, table: str, cols: list[str], rows: list[tuple[Any, ...]]) -> None:
    if rows:
        marks = ", ".join("?" * len(cols))
        conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)
        rows.clear()


def build_db(db: Database, n: int) -> None:
    """Everything in one transaction: executemany of prepared rows in chunks."""
    rnd = random.Random(14)
    span = (END - START).total_seconds()
    open_n = min(OPEN, n // 10)
    with db.engine.begin() as conn:
        users = [
            (i + 1, f"agent{i}@example.com", f"Агент {i}", "admin" if i < 2 else "agent")
            for i in range(AGENTS)
        ]
        users += [
            (AGENTS + i + 1, f"user{i}@{DOMAINS[i % len(DOMAINS)]}", f"User {i}", "client")
            for i in range(REQUESTERS)
        ]
        conn.exec_driver_sql(
            'INSERT INTO users (id, email, name, role, "group", locale, created_at) '
            f"VALUES (?, ?, ?, ?, '', '', '{_ts(START)}')",
            users,
        )
        tickets: list[tuple[Any, ...]] = []
        messages: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        ratings: list[tuple[Any, ...]] = []
        mid = eid = 0
        for tid in range(1, n + 1):
            # Half of the newest tickets are still open, as on a real desk.
            is_open = tid > n - 2 * open_n and rnd.random() < 0.5
            created = START + dt.timedelta(seconds=span * (tid - 1) / n)
            first = created + dt.timedelta(seconds=rnd.expovariate(1 / 5400))
            resolved = first + dt.timedelta(seconds=rnd.expovariate(1 / 86400))
            assignee = rnd.randrange(1, AGENTS + 1)
            requester = AGENTS + 1 + rnd.randrange(REQUESTERS)
            subject = f"Не работает {CATEGORIES[tid % 7] or 'что-то'} #{tid}"
            response_due = created + dt.timedelta(hours=4)
            next_at = None
            if is_open:
                # Their clocks run: about 1% of the milestones are due at the check.
                response_due = END + dt.timedelta(seconds=rnd.uniform(-1800, 150 * 3600))
                next_at = _ts(response_due)
            c, f, r = _ts(created), _ts(first), _ts(resolved)
            # A third of the closed tickets are rated; the ticket carries its latest grade.
            grade = rnd.choices((0, 1, 2), (8, 2, 1))[0] if not is_open and tid % 3 == 0 else -1
            written = rnd.randint(2, 4)  # public messages, all of them
            tickets.append(
                (
                    tid, subject, requester, assignee,
                    "in_progress" if is_open else "closed", 0 if is_open else 1,
                    LEVELS[tid % 3], CATEGORIES[tid % 7], "agent", SOURCES[tid % 5],
                    c, r, "std", _ts(response_due),
                    _ts(response_due + dt.timedelta(days=2)),
                    None if is_open else f, None if is_open else r,
                    None if is_open else int((first - created).total_seconds() * 0.4),
                    None if is_open else int((resolved - created).total_seconds() * 0.4),
                    0, 1 if rnd.random() < 0.12 else 0, 1 if tid % 50 == 0 else 0, "[]", next_at,
                    LABELS[grade] if grade >= 0 else "", written,
                )
            )  # fmt: skip
            step = (resolved - created) / 3
            for k in range(written):
                mid += 1
                request = k % 2 == 0
                messages.append(
                    (
                        mid, tid, requester if request else assignee,
                        "request" if request else "answer", 0, subject,
                        "Добрый день! Принтер не печатает." if request else "Готово.",
                        "", "", "", "", "[]", _ts(created + step * k),
                    )
                )  # fmt: skip
            marks = [("created", c, None, subject[:40]), ("status", f, "new", "in_progress")]
            if not is_open:
                marks.append(("status", r, "in_progress", "closed"))
                if tid % 40 == 0:
                    marks.append(("reopened", r, None, "in_progress"))
            for kind, at, old, new in marks:
                eid += 1
                events.append((eid, tid, at, "bench", kind, old, new))
            if grade >= 0:
                ratings.append((tid, requester, grade, LABELS[grade], "", r))
            if len(messages) >= CHUNK:
                _flush(conn, "tickets", TICKET_COLS, tickets)
                _flush(conn, "messages", MESSAGE_COLS, messages)
                _flush(conn, "events", EVENT_COLS, events)
                _flush(conn, "ratings", RATING_COLS, ratings)
        _flush(conn, "tickets", TICKET_COLS, tickets)
        _flush(conn, "messages", MESSAGE_COLS, messages)
        _flush(conn, "events", EVENT_COLS, events)
        _flush(conn, "ratings", RATING_COLS, ratings)
        conn.execute(insert(KeyValue), [{"key": "bench.built", "value": {"tickets": n}}])
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")


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
    if not args.db.exists() or not _built(db):
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


def _built(db: Database) -> bool:
    try:
        with db.engine.connect() as conn:
            return (
                conn.exec_driver_sql("SELECT 1 FROM kv WHERE key = 'bench.built'").first()
                is not None
            )
    except Exception:
        return False


if __name__ == "__main__":
    main()
