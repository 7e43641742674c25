"""Where the spool commit runs: on the event loop for the only session open, and for other
sessions' small batches while commits are fast; their megabytes and slow fsyncs go to the
writer thread, and every path commits."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.intake.group_commit import INLINE_BYTES, GroupCommitWriter
from gateway.store.db import Database, upgrade
from gateway.store.model import Inbound


def _db(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    return Database(url)


async def _submit(
    writer: GroupCommitWriter, raw: bytes, alone: bool = False
) -> tuple[int, bool, bool]:
    """The row id, and whether the inline and the thread's connections were opened."""
    writer.start()
    try:
        row_id = await writer.submit(
            raw, "smtp", "a@corp.example.org", ["support@example.com"], alone
        )
        return row_id, writer._inline is not None, writer._threaded is not None
    finally:
        await writer.stop()


def test_small_mail_on_a_fast_disk_commits_inline(tmp_path: Path) -> None:
    db = _db(tmp_path)
    writer = GroupCommitWriter(db)
    seen: list[object] = []
    original = writer._commit_inline

    def spy(batch: list[object]) -> list[int] | None:
        seen.append(batch)
        return original(batch)  # type: ignore[arg-type]

    writer._commit_inline = spy  # type: ignore[method-assign, assignment]
    raw = "Subject: Принтер\r\n\r\nне печатает\r\n".encode()
    assert asyncio.run(_submit(writer, raw)) == (1, True, False)
    assert seen
    db.dispose()


def test_megabytes_and_slow_commits_go_to_the_writer_thread(tmp_path: Path) -> None:
    db = _db(tmp_path)
    big = b"Subject: logs\r\n\r\n" + b"x" * (INLINE_BYTES + 1)
    writer = GroupCommitWriter(db)
    assert asyncio.run(_submit(writer, big)) == (1, False, True)  # the thread committed it

    slow = GroupCommitWriter(db)
    slow._commit_seconds = 0.05  # the last fsyncs took 50 ms
    assert asyncio.run(_submit(slow, b"Subject: small\r\n\r\nx\r\n")) == (2, False, True)
    with db.read() as s:
        assert [r.raw for r in s.scalars(select(Inbound).order_by(Inbound.id))] == [
            big,
            b"Subject: small\r\n\r\nx\r\n",
        ]
    db.dispose()


def test_the_only_session_commits_inline_however_slow_or_large(tmp_path: Path) -> None:
    """Nobody else waits for the event loop: the writer thread's round trip would only
    add wake-ups to each of its messages."""
    db = _db(tmp_path)
    big = b"Subject: logs\r\n\r\n" + b"x" * (INLINE_BYTES + 1)
    slow = GroupCommitWriter(db)
    slow._commit_seconds = 0.05
    assert asyncio.run(_submit(slow, big, alone=True)) == (1, True, False)
    db.dispose()


def test_messages_queued_together_share_one_commit_and_the_stop_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Several sessions' messages waiting at once are one transaction (one fsync), each
    answered with its own row once that commit is durable; the writer's stop logs how
    many commits the messages took."""
    db = _db(tmp_path)
    writer = GroupCommitWriter(db)
    raws = [f"Subject: {i}\r\n\r\nx\r\n".encode() for i in range(5)]

    async def sessions() -> list[int]:
        writer.start()
        try:
            return list(
                await asyncio.gather(
                    *(
                        writer.submit(r, "smtp", "a@corp.example.org", ["support@example.com"])
                        for r in raws
                    )
                )
            )
        finally:
            await writer.stop()

    with caplog.at_level(logging.INFO, logger="gateway.intake.group_commit"):
        ids = asyncio.run(sessions())
    with db.read() as s:
        stored = {r.id: r.raw for r in s.scalars(select(Inbound))}
    assert [stored[i] for i in ids] == raws
    assert (writer.stats.messages, writer.stats.commits) == (5, 1)
    assert "spool writer: 5 message(s) in 1 commit(s)" in caplog.text
    db.dispose()
