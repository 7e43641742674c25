"""End to end over real SMTP: a complaint (ARF, RFC 5965) about an agent's answer suspends
automatic mail to the complainant with a ticket event; `users suspended` lists it with the
report that caused it, beside hard and soft bounces; `users unsuspend` lifts it."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from email.message import Message

import pytest
from sqlalchemy import select

from gateway.store.model import Outbox, Suspension, Ticket
from tests.e2e.test_bounces import dsn
from tests.e2e.test_conversation import reply_to
from tests.harness import Daemon, mail, text_of


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("complaints"), "[bounces]\nsoft_limit = 2\n").start()
    yield d
    d.close()


def arf(to: str, complainant: str, feedback_type: str, original: Message) -> bytes:
    """A feedback report as Yahoo and AOL send them: the complainant may be redacted."""
    head = "".join(f"{k}: {v}\r\n" for k, v in original.items())
    return (
        "From: Mail Feedback <feedback@arf.mail.example.net>\r\n"
        f"To: {to}\r\n"
        "Subject: Abuse report\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="F1"\r\n\r\n'
        "--F1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "This is an email abuse report for an email message received from IP 192.0.2.25.\r\n"
        "--F1\r\nContent-Type: message/feedback-report\r\n\r\n"
        f"Feedback-Type: {feedback_type}\r\nUser-Agent: ExampleFBL/1.0\r\nVersion: 1\r\n"
        f"Original-Mail-From: <{to}>\r\nOriginal-Rcpt-To: <{complainant}>\r\n"
        "Source-IP: 192.0.2.25\r\nReported-Domain: example.com\r\n"
        "--F1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"{head}"
        "--F1--\r\n"
    ).encode()


def _answer(daemon: Daemon, requester: str, address: str, subject: str, words: str) -> Message:
    """Mail from `requester`, answered by alice; the answer that went to `address`."""
    assert daemon.send(mail(subject, "Помогите, пожалуйста.", sender=requester))[0] == 250
    daemon.settle()
    notice = [m for m in daemon.outgoing_to("alice@example.com") if subject in str(m["Subject"])]
    assert daemon.send(reply_to(notice[-1], "Alice <alice@example.com>", words))[0] == 250
    daemon.settle()
    [answer] = [m for m in daemon.outgoing_to(address) if words in text_of(m)]
    return answer


def _row(daemon: Daemon, answer: Message) -> Outbox:
    with daemon.db.read() as s:
        row = s.scalars(
            select(Outbox).where(Outbox.message_id == str(answer["Message-ID"]).strip("<>"))
        ).one()
        s.expunge(row)
        return row


def _suspended(daemon: Daemon) -> list[dict[str, object]]:
    result = daemon.cli("users", "suspended", "--format", "json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.output)
    return rows


def test_complaint_suspends_the_complainant_visibly_and_reversibly(daemon: Daemon) -> None:
    requester = "Mei Tanaka <mei@lab.test>"
    answer = _answer(daemon, requester, "mei@lab.test", "VPN не подключается", "Перезапустите.")
    row = _row(daemon, answer)
    tickets_before = daemon.count(Ticket)
    # Yahoo redacts the complainant: the answer's own recipient is the one suspended.
    report = arf(row.mail_from, "redacted@lab.test", "abuse", answer)
    assert daemon.send(report, rcpt=[row.mail_from], mail_from="")[0] == 250
    daemon.settle()
    assert daemon.count(Ticket) == tickets_before  # no ticket of its own
    assert daemon.outgoing_to("feedback@arf.mail.example.net") == []  # never answered
    assert _row(daemon, answer).state == "sent"  # delivered, then complained about
    with daemon.db.read() as s:
        held = s.get(Suspension, "mei@lab.test")
        assert held is not None and held.suspended and held.cause == "complaint"
        assert held.status == "abuse" and held.bounce_id is not None
    assert row.ticket_id is not None
    events = daemon.show(row.ticket_id)["events"]
    assert {"kind": "mail_complaint", "old": "abuse", "new": "mei@lab.test"} in [
        {k: e[k] for k in ("kind", "old", "new")} for e in events
    ]
    [listed] = [r for r in _suspended(daemon) if r["email"] == "mei@lab.test"]
    assert listed["cause"] == "complaint" and listed["why"] == "complaint (abuse)"
    bounce = listed["bounce"]
    assert isinstance(bounce, dict) and bounce["ticket"] == row.ticket_id
    assert bounce["outbox_id"] == row.id and bounce["reason"] == "feedback"
    shown = daemon.cli("inbound", "show", str(bounce["inbound_id"]), "--format", "json")
    assert json.loads(shown.output)["bounce"]["reason"] == "feedback"
    # Automatic mail to Mei is now a suppressed row saying why, not a mail.
    before = len(daemon.outgoing_to("mei@lab.test"))
    assert daemon.send(mail("Ещё вопрос про VPN", "Опять.", sender=requester))[0] == 250
    daemon.settle()
    assert len(daemon.outgoing_to("mei@lab.test")) == before
    with daemon.db.read() as s:
        reasons = s.scalars(
            select(Outbox.last_reply).where(
                Outbox.kind == "confirmation", Outbox.state == "suppressed"
            )
        ).all()
    assert any("complaint (abuse)" in r for r in reasons)
    # An agent's answer is written by hand, not automatic: it still reaches her.
    notice = [
        m for m in daemon.outgoing_to("alice@example.com") if "Ещё вопрос" in str(m["Subject"])
    ]
    assert daemon.send(reply_to(notice[-1], "Alice <alice@example.com>", "Звоню вам."))[0] == 250
    daemon.settle()
    assert any("Звоню вам." in text_of(m) for m in daemon.outgoing_to("mei@lab.test"))
    lifted = daemon.cli("users", "unsuspend", "mei@lab.test")
    assert lifted.exit_code == 0 and "complaint" in lifted.output
    assert "mei@lab.test" not in [r["email"] for r in _suspended(daemon)]
    kinds = [e["kind"] for e in daemon.show(row.ticket_id)["events"]]
    assert "suspension_lifted" in kinds


def test_not_spam_report_suspends_nothing(daemon: Daemon) -> None:
    answer = _answer(
        daemon, "Kofi Mensah <kofi@mail.example.com.gh>", "kofi@mail.example.com.gh",
        "Printer offline", "Restarted the spooler.",
    )  # fmt: skip
    row = _row(daemon, answer)
    report = arf(row.mail_from, "kofi@mail.example.com.gh", "not-spam", answer)
    assert daemon.send(report, rcpt=[row.mail_from], mail_from="")[0] == 250
    daemon.settle()
    with daemon.db.read() as s:
        held = s.get(Suspension, "kofi@mail.example.com.gh")
        assert held is None or not held.suspended


def test_listing_says_hard_and_soft_bounces_apart(daemon: Daemon) -> None:
    hard = _answer(
        daemon, "Ян <jan@firma.example.pl>", "jan@firma.example.pl", "Drukarka", "Gotowe."
    )
    row = _row(daemon, hard)
    bounce = dsn(
        row.mail_from, "jan@firma.example.pl", "5.1.1",
        "550 5.1.1 <jan@firma.example.pl>: Recipient address rejected: User unknown", hard,
    )  # fmt: skip
    assert daemon.send(bounce, rcpt=[row.mail_from], mail_from="")[0] == 250
    soft_to = "Zoë <zoe@corp.example>"
    for n in range(2):  # [bounces] soft_limit = 2
        soft = _answer(daemon, soft_to, "zoe@corp.example", f"Quota {n}", f"Cleaned up {n}.")
        soft_row = _row(daemon, soft)
        full = dsn(
            soft_row.mail_from, "zoe@corp.example", "4.2.2",
            "452 4.2.2 <zoe@corp.example>: mailbox is full", soft,
        )  # fmt: skip
        assert daemon.send(full, rcpt=[soft_row.mail_from], mail_from="")[0] == 250
        daemon.settle()
    listed = {r["email"]: r for r in _suspended(daemon)}
    assert listed["jan@firma.example.pl"]["why"] == "hard bounce (userunknown)"
    assert listed["jan@firma.example.pl"]["cause"] == "hard"
    assert listed["zoe@corp.example"]["why"] == "2 soft bounces (mailboxfull)"
    zoe_bounce = listed["zoe@corp.example"]["bounce"]
    assert isinstance(zoe_bounce, dict) and zoe_bounce["outbox_id"] == soft_row.id
    table = daemon.cli("users", "suspended")
    assert table.exit_code == 0 and "jan@firma.example.pl" in table.output
    assert "hard bounce" in table.output
    out = daemon.cli("users", "suspended", "--format", "csv")
    parsed = list(csv.DictReader(io.StringIO(out.output)))
    assert list(parsed[0]) == ["email", "since", "why", "report", "outbox", "ticket"]
    zoe = next(r for r in parsed if r["email"] == "zoe@corp.example")
    assert zoe["outbox"] == str(soft_row.id) and zoe["since"]
