"""End to end over real SMTP: a bounce of an agent's answer marks its outbox row, tells the
agent and suspends automatic mail to the address; bounces never open tickets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import Message

import pytest
from sqlalchemy import select

from gateway.store.model import Inbound, Outbox, Suspension, Ticket
from tests.e2e.test_conversation import reply_to
from tests.harness import Daemon, mail, text_of


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("bounces"), "[bounces]\nsoft_limit = 2\n").start()
    yield d
    d.close()


def dsn(to: str, recipient: str, status: str, diagnostic: str, original: Message) -> bytes:
    """A Postfix-style delivery status notification returning `original`'s headers."""
    head = "".join(f"{k}: {v}\r\n" for k, v in original.items())
    return (
        "From: MAILER-DAEMON@mx.relay.example.net (Mail Delivery System)\r\n"
        f"To: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\r\n\r\n'
        "--B1\r\nContent-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
        f"<{recipient}>: host mx.{recipient.split('@')[1]}[192.0.2.9] said: {diagnostic}"
        " (in reply to RCPT TO command)\r\n"
        "--B1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.relay.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
        "--B1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"{head}"
        "--B1--\r\n"
    ).encode()


def _row(daemon: Daemon, message_id: str) -> Outbox:
    with daemon.db.read() as s:
        row = s.scalars(select(Outbox).where(Outbox.message_id == message_id)).one()
        s.expunge(row)
        return row


def test_bounced_answer_marks_the_row_and_reaches_the_agent(daemon: Daemon) -> None:
    requester = "Пётр <petr@branch.example.ru>"
    assert daemon.send(mail("Нет доступа к 1С", "Ошибка входа.", sender=requester))[0] == 250
    daemon.settle()
    notice = [m for m in daemon.outgoing_to("alice@example.com") if "1С" in str(m["Subject"])][-1]
    assert daemon.send(reply_to(notice, "Alice <alice@example.com>", "Сбросили пароль."))[0] == 250
    daemon.settle()
    [answer] = [m for m in daemon.outgoing_to("petr@branch.example.ru") if "Сбросили" in text_of(m)]
    answer_id = str(answer["Message-ID"]).strip("<>")
    row = _row(daemon, answer_id)
    assert row.state == "sent"
    tickets_before = daemon.count(Ticket)
    alice_before = len(daemon.outgoing_to("alice@example.com"))
    bounce = dsn(
        row.mail_from,
        "petr@branch.example.ru",
        "5.1.1",
        "550 5.1.1 <petr@branch.example.ru>: Recipient address rejected: User unknown",
        answer,
    )
    code, _ = daemon.send(bounce, rcpt=[row.mail_from], mail_from="")
    assert code == 250
    daemon.settle()
    row = _row(daemon, answer_id)
    assert row.state == "bounced" and "userunknown 5.1.1" in row.last_reply
    assert daemon.count(Ticket) == tickets_before  # no ticket of its own
    told = daemon.outgoing_to("alice@example.com")[alice_before:]
    assert len(told) == 1 and "petr@branch.example.ru" in text_of(told[0])
    assert "userunknown" in text_of(told[0])
    assert daemon.outgoing_to("mailer-daemon@mx.relay.example.net") == []  # never answered
    with daemon.db.read() as s:
        held = s.get(Suspension, "petr@branch.example.ru")
        assert held is not None and held.suspended
        inbound = s.scalars(select(Inbound).order_by(Inbound.id.desc())).first()
        assert inbound is not None
        inbound_id = inbound.id
    shown = daemon.cli("inbound", "show", str(inbound_id), "--format", "json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["bounce"] == {
        "reason": "userunknown",
        "status": "5.1.1",
        "recipient": "petr@branch.example.ru",
        "hard": True,
    }
    assert data["ticket"] == row.ticket_id and data["state"] == "done"
    assert any("bounce" in line for line in data["trace"])
    # Suspended: the next confirmation to Пётр is a suppressed row, not a mail.
    assert daemon.send(mail("Ещё вопрос", "Ещё.", sender=requester))[0] == 250
    daemon.settle()
    with daemon.db.read() as s:
        rows = s.scalars(
            select(Outbox).where(Outbox.kind == "confirmation", Outbox.state == "suppressed")
        ).all()
        assert any("suspended" in r.last_reply for r in rows)
    result = daemon.cli("users", "unsuspend", "petr@branch.example.ru")
    assert result.exit_code == 0, result.output
    again = daemon.cli("users", "unsuspend", "petr@branch.example.ru")
    assert again.exit_code == 1 and "not suspended" in again.output


def test_bounce_of_unknown_mail_opens_no_ticket(daemon: Daemon) -> None:
    before = daemon.count(Ticket)
    original = mail("Hello", "hi", sender="someone@elsewhere.test")
    bounce = dsn(
        "support@example.com",
        "ghost@nowhere.example.org",
        "5.2.2",
        "552 5.2.2 Mailbox full",
        original,
    )
    assert daemon.send(bounce, mail_from="")[0] == 250
    daemon.settle()
    assert daemon.count(Ticket) == before
    listed = daemon.cli("inbound", "list", "--format", "json", "--state", "done")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert rows[0]["bounce"]["reason"] == "mailboxfull" and rows[0]["ticket"] is None
    assert rows[0]["bounce"]["hard"] is False
    csv_out = daemon.cli("inbound", "list", "--format", "csv", "--source", "smtp")
    assert csv_out.exit_code == 0 and csv_out.output.startswith("id,received_at,source")


def test_inbound_cli_refuses_bad_input(daemon: Daemon) -> None:
    bad = daemon.cli("inbound", "list", "--since", "yesterday")
    assert bad.exit_code == 1 and "--since" in bad.output
    missing = daemon.cli("inbound", "show", "999999")
    assert missing.exit_code == 1 and "no received message" in missing.output
