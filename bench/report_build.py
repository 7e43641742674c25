"""The report bench's desk: a million tickets over two years, with the product's schema,
written once in one transaction (bench/report.py times the report and the escalation on it)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import insert

from gateway.store.db import Database
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


def is_built(db: Database) -> bool:
    try:
        with db.engine.connect() as conn:
            return (
                conn.exec_driver_sql("SELECT 1 FROM kv WHERE key = 'bench.built'").first()
                is not None
            )
    except Exception:
        return False
