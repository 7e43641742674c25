"""Migrations 0020 and 0021 on a desk with history: each ticket gets its latest grade and
its count of public messages, the report reads them, and both go down again. SQLite and
a real PostgreSQL cluster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, create_engine, inspect
from sqlalchemy.engine import Connection

from gateway.reports.build import build
from gateway.reports.figures import Period
from gateway.settings import config as config_mod
from gateway.store.db import Database, alembic_config
from tests.listing.test_migration import _filled
from tests.postgres import private_postgres

BEFORE = "0019"
NOW = dt.datetime(2026, 11, 10, 12, 0)
PERIOD = Period(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, tzinfo=dt.UTC))


def _seed(conn: Connection) -> None:
    meta = MetaData()
    users, tickets, messages, ratings = (
        Table(name, meta, autoload_with=conn)
        for name in ("users", "tickets", "messages", "ratings")
    )
    for i, email in enumerate(["ivan@corp.example.ru", "olga@почта.рф", "bob@firma.test"], 1):
        conn.execute(users.insert(), _filled(users, {"id": i, "email": email}))
    # (public, hidden) messages; the grades given, oldest first.
    desk = {1: ((3, 1), ["Плохо", "Хорошо"]), 2: ((2, 0), ["Плохо"]), 3: ((1, 2), [])}
    message_id = 0
    for tid, ((public, hidden), grades) in desk.items():
        conn.execute(
            tickets.insert(),
            _filled(
                tickets,
                {
                    "id": tid,
                    "subject": f"Заявка {tid}",
                    "requester_id": tid,
                    "status": "closed",
                    "closed": True,
                    "created_at": NOW,
                    "resolved_at": NOW + dt.timedelta(hours=tid),
                    "resolution_s": 3600 * tid,
                },
            ),
        )
        for n in range(public + hidden):
            message_id += 1
            conn.execute(
                messages.insert(),
                _filled(
                    messages,
                    {"id": message_id, "ticket_id": tid, "hidden": n >= public, "created_at": NOW},
                ),
            )
        for n, label in enumerate(grades):
            conn.execute(
                ratings.insert(),
                _filled(
                    ratings,
                    {"ticket_id": tid, "grade": 0, "label": label, "at": NOW + dt.timedelta(n)},
                ),
            )


def _check(url: str) -> None:
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, rating, public_messages FROM tickets ORDER BY id"
            ).all()
        assert [tuple(r) for r in rows] == [(1, "Хорошо", 3), (2, "Плохо", 2), (3, "", 1)]
        cfg = config_mod.from_dict({})
        with db.read() as session:
            report = build(session, cfg, PERIOD, "rating")
        groups = {g["key"]: g["closed"] for g in report["groups"]}
        assert groups == {"Хорошо": 1, "Плохо": 1, "": 1}
        assert report["totals"]["messages_per_resolution"] == 2.0  # (3 + 2 + 1) / 3
    finally:
        db.dispose()


def _run(url: str) -> None:
    cfg = alembic_config(url)
    command.upgrade(cfg, BEFORE)
    engine = create_engine(url)
    with engine.begin() as conn:
        _seed(conn)
    engine.dispose()
    command.upgrade(cfg, "head")
    _check(url)
    command.check(cfg)
    command.downgrade(cfg, BEFORE)
    engine = create_engine(url)
    columns = {c["name"] for c in inspect(engine).get_columns("tickets")}
    engine.dispose()
    assert not columns & {"rating", "public_messages"}
    command.upgrade(cfg, "head")
    _check(url)


def test_sqlite(tmp_path: Any) -> None:
    _run(f"sqlite:///{tmp_path}/h.db")


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    with private_postgres() as url:
        yield url


def test_postgresql(pg_server: str) -> None:
    _run(pg_server)
