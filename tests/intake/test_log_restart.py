"""The spool writer's own checkpoints: during a burst that nobody else checkpoints, the
write-ahead log starts over once it is long, so that the commits overwrite the -wal file
instead of growing it; every message is stored once all the same, and a checkpoint that
fails is logged while the commits go on."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.intake.group_commit import GroupCommitWriter
from gateway.intake.log_restart import LogRestarter
from gateway.store.db import Database, upgrade
from gateway.store.model import Inbound
from gateway.store.wal_log import wal_log

PAGES = 16  # the log's mark in these tests (the daemon's is 1,000 pages)
FRAME = 24 + 4096


def _db(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    return Database(url)


def _raws(n: int) -> list[bytes]:
    return [f"Subject: {i}\r\n\r\n".encode() + b"x" * 3000 + b"\r\n" for i in range(n)]


async def _one_session(writer: GroupCommitWriter, raws: list[bytes]) -> list[int]:
    """One SMTP session's messages, each after the 250 of the one before."""
    writer.start()
    try:
        ids = []
        for raw in raws:
            ids.append(
                await writer.submit(raw, "smtp", "a@corp.example.org", ["b@example.com"], True)
            )
            await asyncio.sleep(0)  # the session waits for its client's next message
        return ids
    finally:
        await writer.stop()


def _frames_in_file(tmp_path: Path) -> int:
    return (Path(f"{tmp_path}/h.db-wal").stat().st_size - 32) // FRAME


def test_a_burst_restarts_the_log_and_the_wal_file_keeps_its_size(tmp_path: Path) -> None:
    db = _db(tmp_path)
    raws = _raws(200)  # about three pages each: ~600 frames appended without a restart
    writer = GroupCommitWriter(db, restart_pages=PAGES)
    ids = asyncio.run(_one_session(writer, raws))
    with db.read() as s:
        stored = {r.id: r.raw for r in s.scalars(select(Inbound))}
    assert [stored[i] for i in ids] == raws and len(stored) == len(raws)
    assert writer.stats.checkpoints >= 10
    # The log started over at its mark again and again: the file is a few marks long,
    # not the burst's length (a commit may overlap a checkpoint on a slow machine and
    # append once more).
    assert _frames_in_file(tmp_path) < 200
    assert wal_log(f"{tmp_path}/h.db")[0] < 200
    db.dispose()


def test_the_files_hold_every_acknowledged_mail_at_any_moment(tmp_path: Path) -> None:
    """The files as a power cut would leave them (the database and its -wal, no -shm),
    copied after every tenth 250 while checkpoints come and go, even one under way:
    SQLite's recovery from the copy finds every message acknowledged so far."""
    db = _db(tmp_path)
    raws = _raws(150)
    writer = GroupCommitWriter(db, restart_pages=PAGES)
    copies: list[tuple[Path, dict[int, bytes]]] = []

    async def session() -> None:
        writer.start()
        acked: dict[int, bytes] = {}
        try:
            for n, raw in enumerate(raws, 1):
                row_id = await writer.submit(
                    raw, "smtp", "a@x.example.org", ["b@example.com"], True
                )
                acked[row_id] = raw
                await asyncio.sleep(0)  # a checkpoint may start here, and run on
                if n % 10 == 0:
                    copy = tmp_path / f"cut{n}"
                    copy.mkdir()
                    for name in ("h.db", "h.db-wal"):
                        shutil.copyfile(tmp_path / name, copy / name)
                    copies.append((copy, dict(acked)))
        finally:
            await writer.stop()

    asyncio.run(session())
    assert writer.stats.restarts >= 5
    for copy, acked in copies:
        conn = sqlite3.connect(copy / "h.db")
        try:
            stored = dict(conn.execute("SELECT inbound_id, raw FROM inbound_raw"))
        finally:
            conn.close()
        assert {i: stored.get(i) for i in acked} == acked, copy.name
    db.dispose()


def test_a_short_log_is_left_alone(tmp_path: Path) -> None:
    db = _db(tmp_path)
    writer = GroupCommitWriter(db, restart_pages=PAGES * 100)
    asyncio.run(_one_session(writer, _raws(20)))
    assert writer.stats.checkpoints == 0
    db.dispose()


def test_a_failing_checkpoint_is_logged_once_and_the_mail_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    db = _db(tmp_path)

    def refuse(self: LogRestarter) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(LogRestarter, "_connection", refuse)
    writer = GroupCommitWriter(db, restart_pages=PAGES)
    raws = _raws(60)
    with caplog.at_level(logging.WARNING, logger="gateway.intake.log_restart"):
        ids = asyncio.run(_one_session(writer, raws))
    assert len(set(ids)) == len(raws)
    with db.read() as s:
        assert sorted(s.scalars(select(Inbound.id))) == sorted(ids)
    failed = "checkpoint of the write-ahead log failed"
    warnings = [r for r in caplog.records if failed in r.message]
    assert len(warnings) == 1
    assert writer.stats.checkpoints == 0
    db.dispose()
