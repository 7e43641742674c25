"""Two daemons on one PostgreSQL database share the work without doing any of it twice:
the spool and the outbox are claimed with FOR UPDATE SKIP LOCKED."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from gateway.store.db import Database, upgrade
from gateway.store.model import Inbound, Outbox, Ticket
from tests.harness import Daemon, mail, wait_until
from tests.postgres import private_postgres

TOTAL = 120


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with private_postgres() as url:
        upgrade(url)
        yield url


def _daemon(directory: Path, url: str, maildir: Path) -> Daemon:
    directory.mkdir()
    daemon = Daemon(directory)
    config = daemon.config.read_text()
    config = config.replace('url = "sqlite:///var/helpdesk.db"', f'url = "{url}"')
    config = config.replace('maildir = "var/outbox"', f'maildir = "{maildir}"')
    # Both daemons sign reply tokens with the same key, as a real cluster must.
    config = config.replace(
        'secret_file = "var/secret.key"', f'secret_file = "{maildir.parent / "secret.key"}"'
    )
    daemon.config.write_text(config)
    return daemon


def test_two_daemons_share_one_database(tmp_path: Path, pg_url: str) -> None:
    maildir = tmp_path / "shared-outbox"
    first = _daemon(tmp_path / "a", pg_url, maildir)
    second = _daemon(tmp_path / "b", pg_url, maildir)
    db = Database(pg_url)
    try:
        first.start()
        second.start()
        raws = [
            mail(f"pg {i:03d}", f"текст {i}", sender=f"u{i}@corp.example.org") for i in range(TOTAL)
        ]

        def send(daemon: Daemon, part: list[int]) -> None:
            for i in part:
                assert daemon.send(raws[i])[0] == 250

        threads = [
            threading.Thread(target=send, args=(d, list(range(k, TOTAL, 2))))
            for k, d in enumerate((first, second))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)

        def settled() -> bool:
            with db.read() as s:
                new = s.scalar(select(Inbound.id).where(Inbound.state == "new").limit(1))
                queued = s.scalar(select(Outbox.id).where(Outbox.state == "queued").limit(1))
                return new is None and queued is None

        wait_until(settled, 120, "both daemons to finish")
        with db.read() as s:
            subjects = Counter(s.scalars(select(Ticket.subject)))
            sources = s.execute(text("SELECT count(*) FROM inbound")).scalar()
            # What became of a message that made no ticket, should one go astray.
            astray = s.execute(
                select(Inbound.id, Inbound.state, Inbound.stage, Inbound.error).where(
                    Inbound.state != "done"
                )
            ).all()
        assert sources == TOTAL
        assert not astray, astray
        assert len(subjects) == TOTAL and max(subjects.values()) == 1
        delivered = list((maildir / "new").iterdir())
        with db.read() as s:
            sent = s.scalars(select(Outbox.id).where(Outbox.state == "sent")).all()
        with db.read() as s:
            rows = s.scalars(select(Outbox.id)).all()
        # Every queued mail was sent by exactly one of the two, into the shared Maildir.
        assert len(delivered) == len(sent) == len(rows) >= TOTAL * 2
    finally:
        first.close()
        second.close()
        db.dispose()
