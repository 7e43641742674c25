"""IMAP intake against a real Dovecot: backlog, IDLE, MOVE, restarts, re-appearing mail."""

from __future__ import annotations

from typing import Any

import pytest
from imapclient import SEEN

from gateway.intake.imap import checkpoint as imap_checkpoint
from gateway.intake.imap.folder import Folder
from gateway.store.db import Database

from .helpers import Dovecot, client_for, make_box, message, run_poller, spooled, wait_until


def folder_uids(dovecot: Dovecot, user: str, folder: str) -> list[int]:
    client = client_for(dovecot, user)
    try:
        if not client.folder_exists(folder):
            return []
        client.select_folder(folder, readonly=True)
        return sorted(client.search("ALL"))
    finally:
        client.logout()


def append(dovecot: Dovecot, user: str, raws: list[bytes], folder: str = "INBOX") -> None:
    client = client_for(dovecot, user)
    try:
        for raw in raws:
            client.append(folder, raw)
    finally:
        client.logout()


def checkpoint(db: Database, name: str) -> imap_checkpoint.Checkpoint:
    with db.read() as session:
        return imap_checkpoint.load(session, name)


def test_backlog_is_stored_once_and_moved(dovecot: Dovecot, user: str, db: Database) -> None:
    raws = [message(n) for n in range(120)]
    append(dovecot, user, raws)
    box = make_box(dovecot, user)
    with run_poller(box, db) as running:
        wait_until(lambda: len(spooled(db)) == 120)
        running.wait_state("idle")
        status = running.poller.status()
    rows = spooled(db)
    assert [r.raw for r in rows] == raws
    assert [r.origin["uid"] for r in rows] == list(range(1, 121))
    first = rows[0]
    assert first.source == f"imap:{user}"
    assert first.mail_from == "sender0@example.org"
    assert first.rcpt_to == [f"{user}@example.com"]
    assert first.origin["mailbox"] == user
    assert first.origin["category"] == "printers"
    assert first.origin["uidvalidity"] == checkpoint(db, user).uidvalidity
    assert checkpoint(db, user).last_uid == 120
    assert folder_uids(dovecot, user, "INBOX") == []
    assert len(folder_uids(dovecot, user, "Processed")) == 120
    assert running.wakeups == 3  # one per committed batch of 50
    assert (status.backlog, status.stored, status.last_error) == (0, 120, None)


def test_idle_delivers_within_seconds(dovecot: Dovecot, user: str, db: Database) -> None:
    box = make_box(dovecot, user, poll_seconds=300)
    with run_poller(box, db) as running:
        running.wait_state("idle")
        for n in range(1, 4):
            append(dovecot, user, [message(n)])
            # IDLE, not the 300-s poll, brought it: the bound is a fifth of the poll
            # interval, so a loaded machine's seconds do not fail it.
            assert wait_until(lambda: len(spooled(db)) == n, timeout=60) < 60  # noqa: B023
    assert len(spooled(db)) == 3


def test_without_processed_folder_marks_seen(dovecot: Dovecot, user: str, db: Database) -> None:
    append(dovecot, user, [message(1), message(2)])
    box = make_box(dovecot, user, processed_folder="", idle=False, poll_seconds=1)
    with run_poller(box, db) as running:
        wait_until(lambda: len(spooled(db)) == 2)
        running.wait_state("polling")
        append(dovecot, user, [message(3)])  # polling, not IDLE: within poll_seconds
        wait_until(lambda: len(spooled(db)) == 3, timeout=30)
    client = client_for(dovecot, user)
    client.select_folder("INBOX", readonly=True)
    flags = client.get_flags(client.search("ALL"))
    client.logout()
    assert len(flags) == 3 and all(SEEN in f for f in flags.values())
    # A restart does not take the \Seen messages again.
    with run_poller(box, db) as running:
        running.wait_state("polling")
    assert len(spooled(db)) == 3


def test_restart_does_not_duplicate(dovecot: Dovecot, user: str, db: Database) -> None:
    append(dovecot, user, [message(n) for n in range(5)])
    box = make_box(dovecot, user)
    with run_poller(box, db) as running:
        wait_until(lambda: len(spooled(db)) == 5)
        running.wait_state("idle")
    append(dovecot, user, [message(n) for n in range(5, 8)])
    with run_poller(box, db) as running:
        wait_until(lambda: len(spooled(db)) == 8)
        running.wait_state("idle")
    uids = [r.origin["uid"] for r in spooled(db)]
    assert uids == list(range(1, 9))


def test_crash_between_commit_and_move(
    dovecot: Dovecot, user: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Committed but never moved: the next session moves them and stores nothing again."""
    append(dovecot, user, [message(n) for n in range(4)])
    box = make_box(dovecot, user)
    real = Folder.acknowledge

    def crash(self: Folder, uids: Any) -> None:
        if uids:
            raise ConnectionResetError("connection lost before MOVE")

    monkeypatch.setattr(Folder, "acknowledge", crash)
    with run_poller(box, db) as running:
        wait_until(lambda: running.poller.status().consecutive_errors >= 1)
    assert len(spooled(db)) == 4
    assert len(folder_uids(dovecot, user, "INBOX")) == 4
    monkeypatch.setattr(Folder, "acknowledge", real)
    with run_poller(box, db) as running:
        running.wait_state("idle")
    assert len(spooled(db)) == 4
    assert folder_uids(dovecot, user, "INBOX") == []
    assert len(folder_uids(dovecot, user, "Processed")) == 4


def test_crash_before_commit_loses_nothing(
    dovecot: Dovecot, user: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure inside the transaction rolls the whole batch back; the retry stores it."""
    from gateway import spool

    append(dovecot, user, [message(n) for n in range(6)])
    real_store = spool.store
    calls = {"n": 0}

    def flaky_store(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("disk full")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(spool, "store", flaky_store)
    with run_poller(make_box(dovecot, user), db) as running:
        wait_until(lambda: len(spooled(db)) == 6)
        running.wait_state("idle")
        assert "disk full" in (running.poller.status().last_error or "")
    assert [r.origin["uid"] for r in spooled(db)] == [1, 2, 3, 4, 5, 6]


def test_same_message_appended_twice(dovecot: Dovecot, user: str, db: Database) -> None:
    """Two UIDs, two spool rows, each exactly once; the pipeline's dedupe judges content."""
    raw = message(1)
    box = make_box(dovecot, user)
    with run_poller(box, db) as running:
        running.wait_state("idle")
        append(dovecot, user, [raw, raw])
        wait_until(lambda: len(spooled(db)) == 2)
        running.wait_state("idle")
    rows = spooled(db)
    assert [r.raw for r in rows] == [raw, raw]
    assert sorted(int(str(r.origin["uid"])) for r in rows) == [1, 2]
    assert len(folder_uids(dovecot, user, "Processed")) == 2


def test_uidvalidity_change_restarts_without_duplicates(
    dovecot: Dovecot, user: str, db: Database
) -> None:
    box = make_box(dovecot, user, folder="Support")
    client = client_for(dovecot, user)
    client.create_folder("Support")
    client.logout()
    old = [message(n) for n in range(3)]
    append(dovecot, user, old, folder="Support")
    with run_poller(box, db) as running:
        wait_until(lambda: len(spooled(db)) == 3)
        running.wait_state("idle")
    before = checkpoint(db, user).uidvalidity
    # The folder is recreated (a restore, a migration) and the old mail re-appears in it.
    client = client_for(dovecot, user)
    client.delete_folder("Support")
    client.create_folder("Support")
    client.logout()
    new = message(99)
    append(dovecot, user, [*old, new], folder="Support")
    with run_poller(box, db) as running:
        wait_until(lambda: len(spooled(db)) == 4)
        running.wait_state("idle")
    after = checkpoint(db, user)
    assert after.uidvalidity != before
    assert after.last_uid == 4
    rows = spooled(db)
    assert [r.raw for r in rows] == [*old, new]
    assert rows[-1].origin == {
        "mailbox": user,
        "uidvalidity": after.uidvalidity,
        "uid": 4,
        "category": "printers",
    }
    assert folder_uids(dovecot, user, "Support") == []


def test_batches_are_cut_by_size(
    dovecot: Dovecot, user: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large messages are fetched a few at a time, so a backlog of attachments fits memory."""
    from gateway.intake.imap import folder as imap_folder

    raws = [message(n, body="x" * 600) for n in range(6)]
    append(dovecot, user, raws)
    monkeypatch.setattr(imap_folder, "MAX_BATCH_BYTES", 2 * len(raws[0]) + 10)
    with run_poller(make_box(dovecot, user), db) as running:
        wait_until(lambda: len(spooled(db)) == 6)
        running.wait_state("idle")
        assert running.wakeups == 3  # two messages per committed batch
    assert [r.raw for r in spooled(db)] == raws
