"""Two daemons on one PostgreSQL database: one polls a mailbox, the other stands by."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.db import Database
from gateway.model import Base

from .helpers import (
    Dovecot,
    client_for,
    free_port,
    make_box,
    message,
    run_poller,
    spooled,
    wait_until,
)


def _as_postgres(*args: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A private PostgreSQL on loopback (initdb refuses root: run as postgres)."""
    root = Path(tempfile.mkdtemp(prefix="helpdesk-pg-"))
    shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    _as_postgres("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    _as_postgres("pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        _as_postgres("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


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
            standby.wait_state("idle", timeout=5)
            client = client_for(dovecot, user)
            client.append("INBOX", message(99))
            client.logout()
            wait_until(lambda: len(spooled(first)) == 31, timeout=5)
        uids = [int(str(r.origin["uid"])) for r in spooled(first)]
        assert sorted(uids) == list(range(1, 32))
    finally:
        first.dispose()
        second.dispose()
