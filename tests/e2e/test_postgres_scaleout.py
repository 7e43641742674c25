"""Two and three daemons on one PostgreSQL database, one SIGKILLed mid-burst: every
acknowledged mail is exactly one ticket and every outgoing mail is written once
(tests/scaleout.py; bench/scaleout.py runs the same with 5,000 mails), and a mailbox is
polled by one daemon at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.daemon.runner import CLAIMED
from gateway.intake.imap.lock import MailboxLock
from gateway.store.db import Database, upgrade
from tests import scaleout
from tests.harness import wait_until
from tests.postgres import private_postgres

TOTAL = 90


@pytest.fixture()
def pg_url() -> Iterator[str]:
    with private_postgres() as url:
        upgrade(url)
        yield url


@pytest.mark.parametrize("daemons", [2, 3])
def test_daemon_killed_mid_burst_loses_and_repeats_nothing(
    tmp_path: Path, pg_url: str, daemons: int
) -> None:
    outcome = scaleout.run(tmp_path, pg_url, daemons, TOTAL)
    assert outcome.killed_after > 0
    assert len(outcome.acknowledged) == TOTAL
    assert not outcome.astray, outcome.astray
    # Every acknowledged mail is one ticket, none twice (a mail the victim stored but
    # could not acknowledge, then sent again elsewhere, is the same ticket).
    assert set(outcome.tickets) == outcome.acknowledged
    assert max(outcome.tickets.values()) == 1
    # No message was counted interrupted but those of the victim's batch, each once (a
    # live daemon's claim taken for a crash's would count again and again, until
    # quarantine).
    assert set(outcome.attempts) <= {CLAIMED, CLAIMED + 2}, outcome.attempts
    # Each queued mail (the confirmations among them) was written exactly once.
    assert outcome.unsent == 0
    assert len(outcome.outbox_ids) >= TOTAL
    assert sorted(outcome.delivered) == sorted(outcome.outbox_ids)
    assert max(outcome.delivered.values()) == 1


def test_one_daemon_owns_a_mailbox_until_it_dies(pg_url: str) -> None:
    """Two daemons' pollers of one mailbox: the first takes it, the second cannot; once
    the owner's connection is gone (as when its process is SIGKILLed), the second can."""
    first_db, second_db, admin = Database(pg_url), Database(pg_url), Database(pg_url)
    first, second = MailboxLock(first_db, "support"), MailboxLock(second_db, "support")
    try:
        assert first.acquire() and first.owned
        assert not second.acquire() and not second.owned
        # The server ends the owner's session, as it does when the process dies.
        with admin.write() as s:
            s.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
                )
            )
        wait_until(second.acquire, 10, "the second daemon to take the mailbox over")
        assert second.held()
        assert not first.held()
        assert not first.acquire()
    finally:
        first.release()
        second.release()
        for db in (first_db, second_db, admin):
            db.dispose()
