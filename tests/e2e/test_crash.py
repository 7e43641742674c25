"""Crash safety: SIGKILL in the middle of a burst of 300 mails loses and duplicates nothing.

Every mail that got a 250 becomes exactly one ticket; mails cut off by the kill are sent
again after the restart, as an MTA would, and still give one ticket each; no confirmation
is sent twice.
"""

from __future__ import annotations

import contextlib
import smtplib
import threading
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from gateway.store.model import Ticket
from tests.harness import Daemon, mail, wait_until

TOTAL = 300


def _sender(
    daemon: Daemon, raws: list[bytes], acked: set[int], failed: set[int], start: int, step: int
) -> None:
    client: smtplib.SMTP | None = None
    for i in range(start, len(raws), step):
        try:
            if client is None:
                client = smtplib.SMTP("127.0.0.1", daemon.port, timeout=10)
            client.sendmail("sender@example.org", ["support@example.com"], raws[i])
            acked.add(i)
        except (OSError, smtplib.SMTPException):
            failed.add(i)
            client = None
    if client is not None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            client.quit()


def test_sigkill_mid_burst_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path).start()
    try:
        raws = [
            mail(
                f"crash {i:03d}", f"письмо номер {i}", sender=f"user{i}@corp.example.org"
            ).as_bytes()
            for i in range(TOTAL)
        ]
        acked: set[int] = set()
        failed: set[int] = set()
        threads = [
            threading.Thread(target=_sender, args=(daemon, raws, acked, failed, k, 4))
            for k in range(4)
        ]
        for t in threads:
            t.start()
        wait_until(lambda: len(acked) >= 120, 60, "120 acknowledged mails")
        daemon.kill()
        for t in threads:
            t.join(60)
        assert 120 <= len(acked) < TOTAL, "the kill must land mid-burst"
        acked_at_kill = set(acked)

        daemon.start()
        for i in sorted(set(range(TOTAL)) - acked_at_kill):
            assert daemon.send(raws[i], mail_from="sender@example.org")[0] == 250
        daemon.settle(60)

        with daemon.db.read() as s:
            subjects = Counter(s.scalars(select(Ticket.subject)))
        assert all(subjects[f"crash {i:03d}"] == 1 for i in acked_at_kill)
        assert sum(subjects.values()) == TOTAL and len(subjects) == TOTAL
        confirmations = Counter(
            str(m["To"]) for m in daemon.outgoing() if "corp.example.org" in str(m["To"])
        )
        assert len(confirmations) == TOTAL
        assert max(confirmations.values()) == 1
        # Nobody is assigned: the admin hears of each new ticket (and only the admin).
        agent_notices = Counter(str(m["Subject"]) for m in daemon.outgoing_to("alice@example.com"))
        assert len(agent_notices) == TOTAL and max(agent_notices.values()) == 1
    finally:
        daemon.close()
