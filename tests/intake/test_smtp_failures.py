"""The SMTP edge when things go wrong: an unwritable database answers 4xx and loses nothing,
a handler fault answers 451, long lines are accepted, RCPT is checked per address."""

from __future__ import annotations

import asyncio
import smtplib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from gateway.addresses import AddressBook
from gateway.intake.group_commit import GroupCommitWriter
from gateway.intake.smtp import IntakeHandler, SmtpIntake
from gateway.settings import config as config_mod
from gateway.store.db import Database, upgrade
from gateway.store.model import Inbound
from tests.harness import free_port, mail, write_config


class Server:
    """The real SMTP intake on loopback, run by an asyncio loop in a thread."""

    def __init__(self, tmp_path: Path) -> None:
        self.cfg = config_mod.load(write_config(tmp_path, port=free_port()))
        upgrade(self.cfg.database_url)
        self.db = Database.from_config(self.cfg)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.writer = GroupCommitWriter(self.db)
        self.handler = IntakeHandler(AddressBook(self.cfg), self.writer)
        self.intake = SmtpIntake(self.cfg, self.handler)
        self._call(self._start())
        self.port = self.intake.port

    async def _start(self) -> None:
        self.writer.start()
        await self.intake.start()

    async def _stop(self) -> None:
        await self.intake.stop(grace_seconds=5)
        await self.writer.stop()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def close(self) -> None:
        self._call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.db.dispose()

    def stored(self) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(func.count()).select_from(Inbound)) or 0)

    def send(self, raw: bytes, rcpt: str = "support@example.com") -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            client.ehlo()
            client.mail("sender@example.org")
            code, text = client.rcpt(rcpt)
            if code != 250:
                return code, text
            return client.data(raw)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path)
    yield s
    s.close()


def make_read_only(server: Server) -> Callable[[Any, Any], None]:
    """Make SQLite refuse every write (root ignores file modes): on new connections, and
    on the one the SMTP hot path holds for its lifetime."""

    def query_only(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA query_only=ON")

    event.listen(server.db.engine, "connect", query_only)
    server.db.engine.dispose()
    inline = server.writer._inline
    assert inline is not None
    inline._conn.execute("PRAGMA query_only=ON")
    return query_only


def test_unwritable_database_answers_4xx_and_loses_nothing(server: Server) -> None:
    raw = mail("Проверка", "текст").as_bytes()
    assert server.send(raw)[0] == 250
    listener = make_read_only(server)
    code, text = server.send(raw)
    assert code == 451 and b"4.3.0" in text
    assert server.stored() == 1
    # Writable again: the client's retry is accepted and stored (the hot path's connection
    # was given up after the failure and is opened afresh).
    event.remove(server.db.engine, "connect", listener)
    server.db.engine.dispose()
    assert server.send(raw)[0] == 250
    assert server.stored() == 2


def test_handler_fault_answers_451(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(server.writer, "submit", broken)
    code, _text = server.send(mail("x", "y").as_bytes())
    assert code == 451
    assert server.stored() == 0


def test_long_lines_are_accepted(server: Server) -> None:
    raw = mail("long", "x" * 5000).as_bytes().replace(b"=\n", b"")
    raw = b"X-Long: " + b"a" * 4000 + b"\r\n" + raw
    assert server.send(raw)[0] == 250


def test_rcpt_checks(server: Server) -> None:
    assert server.send(b"Subject: x\r\n\r\ny\r\n", rcpt="someone@example.com")[0] == 550
    assert server.send(b"Subject: x\r\n\r\ny\r\n", rcpt="Printers@Example.COM")[0] == 250
    assert server.send(b"Subject: x\r\n\r\ny\r\n", rcpt="support+tok@example.com")[0] == 250
    assert server.send(b"Subject: x\r\n\r\ny\r\n", rcpt="support@other.example")[0] == 550


def test_a_locked_database_waits_without_blocking_other_sessions(server: Server) -> None:
    """Another writer holds SQLite's lock: the mail is stored once it is free, and the
    SMTP server keeps answering other clients meanwhile."""
    import sqlite3
    import time

    path = server.db.url.split("///", 1)[1]
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    result: list[tuple[int, bytes]] = []
    sender = threading.Thread(
        target=lambda: result.append(server.send(mail("Во время блокировки", "x").as_bytes()))
    )
    sender.start()
    time.sleep(0.3)
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", server.port, timeout=5) as other:
        assert other.ehlo()[0] == 250  # the event loop is not stuck behind the lock
    assert time.monotonic() - started < 1.0
    assert not result  # still waiting for the lock, not refused
    holder.execute("COMMIT")
    holder.close()
    sender.join(10)
    assert result and result[0][0] == 250
    assert server.stored() == 1
    # The writer's account says who waited: the lock was found taken, then waited for.
    stats = server.writer.stats
    assert (stats.messages, stats.commits, stats.inline) == (1, 1, 0)
    assert stats.busy >= 2 and stats.lock_wait >= 0.25


def test_open_sessions_are_counted_and_each_path_stores(server: Server) -> None:
    """A lone session commits at once; with a second one open, commits go through the
    writer task, where they may share a transaction. Both store every message."""
    from tests.harness import wait_until

    first = smtplib.SMTP("127.0.0.1", server.port, timeout=10)
    first.ehlo()
    wait_until(lambda: server.handler.sessions == 1, 5, "one open session")
    first.sendmail("a@example.org", ["support@example.com"], mail("один", "x").as_bytes())
    second = smtplib.SMTP("127.0.0.1", server.port, timeout=10)
    second.ehlo()
    wait_until(lambda: server.handler.sessions == 2, 5, "two open sessions")
    first.sendmail("a@example.org", ["support@example.com"], mail("два", "x").as_bytes())
    second.sendmail("b@example.org", ["support@example.com"], mail("три", "x").as_bytes())
    first.quit()
    second.quit()
    wait_until(lambda: server.handler.sessions == 0, 5, "no open session")
    assert server.stored() == 3


def _open_transaction(server: Server) -> smtplib.SMTP:
    """A client in the middle of a transaction: MAIL and RCPT sent, DATA not yet."""
    client = smtplib.SMTP("127.0.0.1", server.port, timeout=10)
    client.ehlo()
    client.mail("slow@example.org")
    client.rcpt("support@example.com")
    return client


def test_sessions_in_a_transaction_are_counted(server: Server) -> None:
    from tests.harness import wait_until

    writer = server.writer
    client = _open_transaction(server)
    wait_until(lambda: writer.arriving == 1, 5, "one message on its way")
    client.rset()
    wait_until(lambda: writer.arriving == 0, 5, "RSET ends it")
    client.mail("slow@example.org")
    wait_until(lambda: writer.arriving == 1, 5, "a new one")
    client.close()  # the connection drops mid-transaction
    wait_until(lambda: writer.arriving == 0, 5, "a dropped connection ends it")


def test_a_commit_waits_for_a_message_being_sent_and_shares_its_transaction(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from gateway.intake import group_commit
    from tests.harness import wait_until

    monkeypatch.setattr(group_commit, "GATHER_SECONDS", 5.0)
    batches: list[int] = []
    original = server.writer._commit_inline

    def recording(batch: list[Any]) -> list[int] | None:
        batches.append(len(batch))
        return original(batch)

    monkeypatch.setattr(server.writer, "_commit_inline", recording)
    slow = _open_transaction(server)
    wait_until(lambda: server.writer.arriving == 1, 5, "the slow client's transaction")
    result: list[tuple[int, bytes]] = []
    raw = mail("быстро", "x").as_bytes()
    fast = threading.Thread(target=lambda: result.append(server.send(raw)))
    fast.start()
    time.sleep(0.3)
    assert not result  # held for the message still on its way
    assert slow.data(mail("медленно", "x").as_bytes())[0] == 250
    fast.join(10)
    slow.quit()
    assert result and result[0][0] == 250
    assert batches == [2] and server.stored() == 2
    stats = server.writer.stats
    assert (stats.messages, stats.commits, stats.inline, stats.busy) == (2, 1, 1, 0)


def test_a_stalled_sender_delays_the_others_at_most_the_gathering_time(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from gateway.intake import group_commit
    from tests.harness import wait_until

    monkeypatch.setattr(group_commit, "GATHER_SECONDS", 0.3)
    stalled = _open_transaction(server)
    wait_until(lambda: server.writer.arriving == 1, 5, "the stalled transaction")
    started = time.monotonic()
    assert server.send(mail("не ждёт вечно", "x").as_bytes())[0] == 250
    assert 0.25 <= time.monotonic() - started < 3
    stalled.close()
    assert server.stored() == 1
