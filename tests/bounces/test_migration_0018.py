"""Migration 0018 with suspensions already there: each keeps since when, gets the cause
its reason implies and the address's latest bounce; `users suspended` lists them; it goes
down and up again. SQLite and a real PostgreSQL cluster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, create_engine

from gateway.store import suspensions
from gateway.store.db import Database, alembic_config
from tests.listing.test_migration import _filled
from tests.postgres import private_postgres

BEFORE = "0017"  # the revision 0018 revises
AT = dt.datetime(2026, 11, 30, 8, 15)


def _seed(url: str) -> None:
    engine = create_engine(url)
    meta = MetaData()
    with engine.begin() as conn:
        inbound = Table("inbound", meta, autoload_with=conn)
        bounces = Table("bounces", meta, autoload_with=conn)
        held = Table("suspensions", meta, autoload_with=conn)
        conn.execute(
            inbound.insert(),
            [_filled(inbound, {"id": n, "state": "done"}) for n in (1, 2, 3)],
        )  # fmt: skip
        rows = [
            (1, "petr@branch.example.ru", "userunknown", "5.1.1", True),
            (2, "zoe@corp.example", "mailboxfull", "4.2.2", False),
            (3, "zoe@corp.example", "mailboxfull", "4.2.2", False),
        ]
        conn.execute(
            bounces.insert(),
            [
                {"id": i, "inbound_id": i, "recipient": r, "reason": why, "status": code,
                 "hard": hard, "created_at": AT}
                for i, r, why, code, hard in rows
            ],
        )  # fmt: skip
        conn.execute(
            held.insert(),
            [
                {"email": "petr@branch.example.ru", "suspended": True, "soft_count": 0,
                 "reason": "userunknown", "status": "5.1.1", "updated_at": AT},
                {"email": "zoe@corp.example", "suspended": True, "soft_count": 2,
                 "reason": "mailboxfull", "status": "4.2.2", "updated_at": AT},
                {"email": "kofi@mail.example.com.gh", "suspended": False, "soft_count": 1,
                 "reason": "mailboxfull", "status": "4.2.2", "updated_at": AT},
            ],
        )  # fmt: skip
    engine.dispose()


def _check(url: str) -> None:
    db = Database(url)
    try:
        with db.read() as s:
            listed = {h.email: h for h in suspensions.suspended(s)}
    finally:
        db.dispose()
    assert set(listed) == {"petr@branch.example.ru", "zoe@corp.example"}
    petr, zoe = listed["petr@branch.example.ru"], listed["zoe@corp.example"]
    assert petr.why == "hard bounce (userunknown)" and petr.since is not None
    assert petr.since.replace(tzinfo=None) == AT
    assert petr.bounce is not None and petr.bounce.id == 1
    assert zoe.why == "2 soft bounces (mailboxfull)"
    assert zoe.bounce is not None and zoe.bounce.id == 3  # the latest of the address


def _run(url: str) -> None:
    cfg = alembic_config(url)
    command.upgrade(cfg, BEFORE)
    _seed(url)
    command.upgrade(cfg, "head")
    _check(url)
    command.check(cfg)
    command.downgrade(cfg, BEFORE)
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
