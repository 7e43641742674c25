"""A threaded reply costs the processing a bounded number of statements (a count, not a
time: the cost of each is the query plans' business, tests/listing/test_plans.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway import spool
from gateway.store.model import Message, Outbox
from tests.listing.test_plans import capture, mail
from tests.spam.conftest import Desk

_BOOKKEEPING = re.compile(r"^\s*(BEGIN|COMMIT|SAVEPOINT|RELEASE|ROLLBACK)", re.IGNORECASE)
# A requester's reply, threaded by In-Reply-To: dedupe, the sender (once, by the access
# stage), the thread's Message-ID, the ticket, the message and its Message-ID, its event,
# the ticket's update (one, its message count with its time), the agent notice's
# References, relay count, recipients' Message-IDs and the agent's last answer, the card
# and the other open tickets, the notice's outbox row, the spool row's outcome. A batch
# adds its claim, its rows, the staff and the search rows queued.
_PER_REPLY = 17
_PER_BATCH = 20

SENDERS = ["ivan@corp.example.ru", "kim@lab.test", "olga@mail.example", "hans@firma.example"]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path, '[tickets]\ndefault_assignee = "bob@example.com"\n')
    yield d
    d.db.dispose()


def _spool(desk: Desk, mails: list[bytes], senders: list[str]) -> None:
    with desk.db.write() as s:
        for raw, sender in zip(mails, senders, strict=True):
            spool.store(s, raw, source="smtp", mail_from=sender, rcpt_to=["support@example.com"])


def test_a_threaded_reply_costs_a_bounded_number_of_statements(desk: Desk) -> None:
    senders = SENDERS * 5
    firsts = [
        mail(s, f"Printer {i}", "It prints nothing.", Message_ID=f"<r{i}@c.example>").as_bytes()
        for i, s in enumerate(senders)
    ]
    _spool(desk, firsts, senders)
    assert desk.runner.drain() == 20
    replies = [
        mail(s, f"Re: Printer {i}", "Still nothing.", In_Reply_To=f"<r{i}@c.example>").as_bytes()
        for i, s in enumerate(senders)
    ]
    _spool(desk, replies, senders)
    sent = capture(desk)
    assert desk.runner.drain() == 20
    work = [sql for sql, _ in sent if not _BOOKKEEPING.match(sql)]

    assert len(work) <= 20 * _PER_REPLY + _PER_BATCH, "\n".join(work)
    with desk.db.read() as s:
        # Each reply is the second message of its ticket, and its assignee hears of it.
        per_ticket = list(s.scalars(select(Message.ticket_id).order_by(Message.id)))
        assert sorted(per_ticket) == sorted(list(range(1, 21)) * 2)
        notices = list(
            s.scalars(select(Outbox.rcpt_to).where(Outbox.kind == "agent_requester_reply"))
        )
        assert len(notices) == 20 and all(r == ["bob@example.com"] for r in notices)
