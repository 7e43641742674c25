"""Two daemons on one PostgreSQL database: one polls a mailbox, the other stands by."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.store.db import Database
from gateway.store.model import Base
from tests.postgres import private_postgres

from .helpers import (
    Dovecot,
    client_for,
    make_box,
    message,
    run_poller,
    spooled,
    wait_until,
)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with private_postgres() as url:
        yield url


def test_one_daemon_polls_a_mailbox_the_other_takes_over(
    pg_url: str, dovecot: Dovecot, user: str
) -> None:
    first, second = Database(pg_url), Database(pg_url)  # as two daemons would have
    Base.metadata.drop_all(first.engine)
    Base.metadata.create_all(first.engine)
    client = client_for(dovecot, user)
    for n in range(30):
        client.append("INBOX", message(n))
    client.logout()
    box = make_box(dovecot, user, poll_seconds=1, batch_size=5)
    a, b = run_poller(box, first), run_poller(box, second)
    try:
        with a, b:
            wait_until(lambda: len(spooled(first)) == 30)
            wait_until(lambda: {a.poller.status().state, b.poller.status().state}
                       == {"idle", "standby"})  # fmt: skip
            active, standby = (a, b) if a.poller.status().state == "idle" else (b, a)
            active.__exit__(None, None, None)  # that daemon stops; the lock is released
            standby.wait_state("idle", timeout=30)
            client = client_for(dovecot, user)
            client.append("INBOX", message(99))
            client.logout()
            wait_until(lambda: len(spooled(first)) == 31, timeout=30)
        uids = [int(str(r.origin["uid"])) for r in spooled(first)]
        assert sorted(uids) == list(range(1, 32))
    finally:
        first.dispose()
        second.dispose()
