"""End to end over real SMTP: reserved test domains are mailed like any other, a suppressed
domain leaves a `suppressed` row and tells the agent, every routed address is accepted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import Message

import pytest
from sqlalchemy import select

from gateway.store.model import Outbox, Ticket
from tests.e2e.test_conversation import reply_to
from tests.harness import Daemon, mail, text_of

EXTRA = """
[[categories]]
name = "printers"
addresses = ["printers@office.test"]

[[rules]]
name = "lab"
addresses = ["lab-desk@research.example.net"]
assignee = "bob@example.com"
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(
        tmp_path_factory.mktemp("drops"),
        EXTRA,
        outgoing='suppress_domains = ["invalid", "closed-branch.test"]',
    ).start()
    yield d
    d.close()


def _notice_to_alice(daemon: Daemon, subject: str) -> Message:
    mails = [m for m in daemon.outgoing_to("alice@example.com") if subject in str(m["Subject"])]
    assert mails, f"no notice about {subject!r}"
    return mails[-1]


def _rows(daemon: Daemon, state: str) -> list[Outbox]:
    with daemon.db.read() as s:
        return list(s.scalars(select(Outbox).where(Outbox.state == state).order_by(Outbox.id)))


@pytest.mark.parametrize(
    "requester",
    ["x@corp.example", "Yuri <y@lab.test>", "z@intranet.localhost", "w@staging.invalid.example"],
)
def test_reserved_domains_are_confirmed_and_answered(daemon: Daemon, requester: str) -> None:
    address = requester.rpartition("<")[2].strip(">")
    subject = f"VPN down for {address}"
    assert daemon.send(mail(subject, "The VPN drops every minute.", sender=requester))[0] == 250
    daemon.settle()
    [confirmation] = [m for m in daemon.outgoing_to(address) if subject in str(m["Subject"])]
    assert confirmation["Auto-Submitted"] == "auto-replied"
    notice = _notice_to_alice(daemon, subject)
    code, _ = daemon.send(reply_to(notice, "Alice <alice@example.com>", "Reconnect, please."))
    assert code == 250
    daemon.settle()
    answers = [m for m in daemon.outgoing_to(address) if "Reconnect, please." in text_of(m)]
    assert len(answers) == 1
    # The envelope sender names the mail (VERP), so a bounce is matched without quoting it.
    with daemon.db.read() as s:
        row = s.scalars(select(Outbox).where(Outbox.kind == "answer").order_by(Outbox.id.desc()))
        last = row.first()
        assert last is not None and last.state == "sent"
        assert last.mail_from.startswith("support+bounce-hd.") and address in last.rcpt_to


def test_suppressed_domain_leaves_a_row_and_tells_the_agent(daemon: Daemon) -> None:
    subject = "Printer jam in the closed branch"
    sender = "Ольга <olga@closed-branch.test>"
    assert daemon.send(mail(subject, "Paper stuck.", sender=sender))[0] == 250
    daemon.settle()
    assert daemon.outgoing_to("olga@closed-branch.test") == []
    [confirmation] = [r for r in _rows(daemon, "suppressed") if r.kind == "confirmation"]
    assert confirmation.rcpt_to == ["olga@closed-branch.test"]
    assert "suppress_domains" in confirmation.last_reply
    notice = _notice_to_alice(daemon, subject)
    before = len(daemon.outgoing_to("alice@example.com"))
    code, _ = daemon.send(reply_to(notice, "Alice <alice@example.com>", "Open the tray."))
    assert code == 250
    daemon.settle()
    [answer] = [r for r in _rows(daemon, "suppressed") if r.kind == "answer"]
    assert answer.rcpt_to == ["olga@closed-branch.test"]
    receipts = daemon.outgoing_to("alice@example.com")[before:]
    assert len(receipts) == 1
    assert "olga@closed-branch.test" in text_of(receipts[0])
    assert "suppress_domains" in text_of(receipts[0])
    listing = daemon.cli("outbox", "list", "--state", "suppressed", "--format", "json")
    assert listing.exit_code == 0, listing.output
    assert {row["kind"] for row in json.loads(listing.output)} >= {"confirmation", "answer"}


@pytest.mark.parametrize(
    ("rcpt", "category", "assignee"),
    [
        ("printers@office.test", "printers", None),
        ("Printers+urgent@Office.TEST", "printers", None),
        ("lab-desk@research.example.net", None, "bob@example.com"),
    ],
)
def test_routed_addresses_are_accepted_and_routed(
    daemon: Daemon, rcpt: str, category: str | None, assignee: str | None
) -> None:
    subject = f"Routed via {rcpt}"
    msg = mail(subject, "Please look.", sender="Hans <hans@firma.de>", to=rcpt)
    code, _ = daemon.send(msg, rcpt=[rcpt])
    assert code == 250
    daemon.settle()
    with daemon.db.read() as s:
        ticket = s.scalars(select(Ticket).where(Ticket.subject == subject)).one()
        if category is not None:
            assert ticket.category == category
        if assignee is not None:
            assert ticket.assignee is not None and ticket.assignee.email == assignee


def test_check_config_lists_accepted_addresses(daemon: Daemon) -> None:
    result = daemon.cli("check-config")
    assert result.exit_code == 0, result.output
    line = [x for x in result.output.splitlines() if x.startswith("accepted addresses:")]
    assert line and "printers@office.test" in line[0]
    assert "lab-desk@research.example.net" in line[0] and "support@example.com" in line[0]
