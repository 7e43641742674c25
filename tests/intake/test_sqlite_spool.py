"""The SMTP hot path's own INSERT on SQLite writes exactly what the ORM writes, and never
waits for a lock another writer holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway import spool
from gateway.spool.sqlite import Busy, SqliteSpoolInserter
from gateway.store.db import Database, upgrade
from gateway.store.model import Inbound


@pytest.fixture
def db(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    return Database(url)


def _columns(row: Inbound) -> dict[str, object]:
    skip = {"id", "received_at"}
    return {c.key: getattr(row, c.key) for c in Inbound.__table__.columns if c.key not in skip}


def test_rows_match_the_orm(db: Database) -> None:
    raw = "Subject: Принтер\r\n\r\nне печатает\r\n".encode()
    origin = {"mailbox": "printers", "uid": 7}
    with db.write() as s:
        by_orm = spool.store(
            s, raw, source="smtp", mail_from="a@b.c", rcpt_to=["x@y.z"], origin=origin
        ).id
    inserter = SqliteSpoolInserter(db)
    values = spool.row_values(
        raw, source="smtp", mail_from="a@b.c", rcpt_to=["x@y.z"], origin=origin
    )
    (fast,) = inserter.insert([values])
    inserter.close()
    with db.read() as s:
        a, b = s.get(Inbound, by_orm), s.get(Inbound, fast)
        assert a is not None and b is not None
        assert _columns(a) == _columns(b)
        assert a.raw == b.raw == raw  # both wrote the bytes to inbound_raw
        assert b.received_at.tzinfo is not None
        assert b.received_at == values["received_at"]
    # The raw SQL agrees too: the JSON and timestamp columns are stored the same way.
    path = db.url.split("///", 1)[1]
    conn = sqlite3.connect(path)
    ra, rb = (
        conn.execute("SELECT rcpt_to, origin, trace, typeof(received_at) FROM inbound WHERE id=?",
                     (i,)).fetchone()
        for i in (by_orm, fast)
    )  # fmt: skip
    conn.close()
    assert ra == rb


def test_a_held_lock_is_busy_at_once_and_nothing_is_written(db: Database) -> None:
    inserter = SqliteSpoolInserter(db)
    holder = sqlite3.connect(db.url.split("///", 1)[1], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Busy):
            inserter.insert([spool.row_values(b"x", source="smtp")])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert inserter.insert([spool.row_values(b"y", source="smtp")]) == [1]
    inserter.close()
    with db.read() as s:
        assert s.scalars(select(Inbound.raw)).all() == [b"y"]


def test_single_and_batched_rows_are_committed_when_insert_returns(db: Database) -> None:
    inserter = SqliteSpoolInserter(db)
    (one,) = inserter.insert([spool.row_values(b"one", source="smtp")])
    many = inserter.insert([spool.row_values(b"%d" % i, source="smtp") for i in range(3)])
    # Another connection sees them at once: nothing is left in an open transaction.
    other = sqlite3.connect(db.url.split("///", 1)[1])
    seen = [r[0] for r in other.execute("SELECT id FROM inbound ORDER BY id")]
    other.close()
    assert seen == [one, *many] and not inserter._conn.in_transaction
    inserter.close()
