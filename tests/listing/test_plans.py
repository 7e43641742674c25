"""Every statement the processing sends, and every listing's, is planned on an index:
none reads a whole table that grows with the desk's history (SQLite's EXPLAIN QUERY PLAN).
Cost then stays flat as the database grows; bench/scale.py measures it at a million."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from gateway import spool
from gateway.store import listing
from gateway.store.model import DirectoryEntry, Suspension, Ticket
from gateway.store.views import TicketFilter
from tests.spam.conftest import Desk

# Tables that grow with the history; the others (kv, spam_model, users ...) are small or
# looked up by key anyway.
GROWING = (
    "tickets",
    "messages",
    "inbound",
    "events",
    "outbox",
    "message_refs",
    "auto_reply_log",
    "participants",
    "attachments",
    "ratings",
    "spam_learned",
)
_FULL_SCAN = re.compile(r"\bSCAN (\w+)(?! USING)")
_PAGE = re.compile(r"ORDER BY tickets.id DESC\s+LIMIT")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path)
    yield d
    d.db.dispose()


def full_scans(desk: Desk, statements: list[tuple[str, Any]]) -> list[str]:
    found = []
    with desk.db.engine.connect() as conn:
        for sql, params in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
                continue
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
            steps = " ".join(str(row[-1]) for row in plan)
            # Newest first by the primary key with a LIMIT: the walk stops after the page.
            if _PAGE.search(sql) and "TEMP B-TREE" not in steps:
                continue
            for row in plan:
                m = _FULL_SCAN.search(str(row[-1]))
                if m and m.group(1) in GROWING:
                    found.append(f"{row[-1]}  <-  {sql}")
    return found


def capture(desk: Desk) -> list[tuple[str, Any]]:
    sent: list[tuple[str, Any]] = []

    def listen(_c: object, _cur: object, sql: str, params: Any, *_: object) -> None:
        sent.append((sql, params))

    event.listen(desk.db.engine, "before_cursor_execute", listen)
    return sent


def mail(sender: str, subject: str, body: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def test_processing_reads_no_growing_table_whole(desk: Desk) -> None:
    sent = capture(desk)
    desk.take(mail("ivan@corp.example.ru", "Принтер", "Не печатает", Message_ID="<a1@c.example>"))
    desk.take(mail("kim@lab.test", "VPN", "Drops hourly", Message_ID="<b1@c.example>"))
    # A reply threaded by In-Reply-To, one by the tag in the subject, a duplicate, and an
    # auto-reply (counted against the daily limit).
    desk.take(mail("ivan@corp.example.ru", "Re: Принтер", "Ещё", In_Reply_To="<a1@c.example>"))
    desk.take(mail("kim@lab.test", "Re: [HD-2] VPN", "Still", Message_ID="<b2@c.example>"))
    desk.take(mail("kim@lab.test", "Re: [HD-2] VPN", "Still", Message_ID="<b2@c.example>"))
    desk.take(mail("bob@mail.example.com", "Out of office", "Away", Auto_Submitted="auto-replied"))
    desk.take(mail("alice@example.com", "Re: [HD-1] Принтер", "#close\nDone"))
    assert len(sent) > 50
    scans = full_scans(desk, sent)
    assert scans == [], "\n".join(scans)


@pytest.mark.parametrize(
    "f",
    [
        TicketFilter(),
        TicketFilter(status="waiting"),
        TicketFilter(open=True),
        TicketFilter(open=False),
        TicketFilter(indicator="red"),
        TicketFilter(indicator="green"),
        TicketFilter(indicator="grey"),
        TicketFilter(requester="ivan@corp.example.ru"),
        TicketFilter(assignee="bob@example.com"),
        TicketFilter(category="hardware"),
        TicketFilter(criticality="high"),
        TicketFilter(title="vpn"),
        TicketFilter(text="принтер"),
        TicketFilter(before=10, open=True),
        TicketFilter(open=True, criticality="critical"),
        TicketFilter(open=True, category="printing"),
        TicketFilter(open=False, assignee="bob@example.com"),
        TicketFilter(text="принтер", open=True, criticality="high"),
    ],
    ids=repr,
)
def test_listing_reads_no_table_whole(desk: Desk, f: TicketFilter) -> None:
    desk.take(mail("ivan@corp.example.ru", "Принтер", "Не печатает"))
    sent = capture(desk)
    with desk.db.read() as s:
        listing.page(s, f, "HD")
        list(listing.stream(s, f, "HD"))
    scans = full_scans(desk, sent)
    assert scans == [], "\n".join(scans)


# Statements one new ticket may cost the processing (group commit, savepoints aside):
# dedupe, the sender, the ticket, its events (one insert), the message, its Message-IDs
# (one), its outbox rows (one), the card, the similar tickets, the daily automatic-mail
# record, the spool row's outcome; a requester seen before adds the count of automatic
# mail today and their other open tickets. What a message has just written is not read
# back (gateway.store.fresh); a suppression check is one per address and batch. A batch
# adds its own: the claim, the raw bytes, the rows, the staff, the search rows queued.
_PER_NEW_TICKET = 13
_PER_BATCH = 25
_BOOKKEEPING = re.compile(r"^\s*(BEGIN|COMMIT|SAVEPOINT|RELEASE|ROLLBACK)", re.IGNORECASE)


def test_a_new_ticket_costs_a_bounded_number_of_statements(desk: Desk) -> None:
    senders = [
        ("Иван Петров <ivan@corp.example.ru>", "Не печатает принтер", "Принтер молчит."),
        ("Kim Lee <kim@lab.test>", "VPN drops every hour", "Since Monday."),
        ("Olga <olga@почта.рф>", "Пароль истёк", "Не могу войти в почту."),
        ("Hans Müller <hans@firma.example.de>", "Drucker druckt nicht", "Seit gestern."),
        ("ana@uni.example", "Proyector sin señal", "En el aula 12."),
    ]
    with desk.db.write() as s:
        for i, (sender, subject, body) in enumerate(senders * 4):
            msg = mail(sender, f"{subject} {i}", body, Message_ID=f"<n{i}@bench.example>")
            spool.store(
                s,
                msg.as_bytes(),
                source="smtp",
                mail_from=sender.rpartition("<")[2].strip(">"),
                rcpt_to=["support@example.com"],
            )
    sent = capture(desk)
    assert desk.runner.drain() == 20
    work = [sql for sql, _ in sent if not _BOOKKEEPING.match(sql)]

    assert len(work) <= 20 * _PER_NEW_TICKET + _PER_BATCH, "\n".join(work)
    assert desk.count(Ticket) == 20
    # Each confirmation threads under the mail it confirms, sent in the same message.
    confirmations = desk.outbox("confirmation")
    assert len(confirmations) == 20
    for row in confirmations:
        head = message_from_bytes(row.raw)
        assert head["In-Reply-To"] is not None and head["In-Reply-To"].startswith("<n")
        assert head["References"] == head["In-Reply-To"]


def test_bounces_and_the_client_card_read_no_table_whole(desk: Desk) -> None:
    with desk.db.write() as s:
        for i in range(3):
            s.add(DirectoryEntry(kind="person", key=f"p{i}@corp.example.ru", name=f"P {i}"))
        s.add(
            DirectoryEntry(
                kind="organisation", key="corp", name="Corp", domains=["corp.example.ru"]
            )
        )
    desk.take(mail("p1@corp.example.ru", "Принтер", "Не печатает", Message_ID="<c1@c.example>"))
    confirmation = desk.outbox("confirmation")[0]
    sent = capture(desk)
    dsn = (
        "From: MAILER-DAEMON@mx.relay.example.net\r\nTo: support@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; "
        'boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n'
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; p1@corp.example.ru\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{confirmation.message_id}>\r\n\r\n--B--\r\n"
    ).encode()
    desk.take(dsn, mail_from="")
    desk.take(mail("p1@corp.example.ru", "Ещё", "Снова", Message_ID="<c2@c.example>"))
    sent = list(sent)  # the processing's statements, not the checks' below
    assert desk.count(Suspension, Suspension.suspended.is_(True)) == 1
    # The second request's confirmation is not sent: the bounce suspended the address.
    assert [r.state for r in desk.outbox("confirmation")] == ["bounced", "suppressed"]
    with desk.db.engine.connect() as conn:
        plans = [
            " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, p))
            for sql, p in sent
            if "FROM directory" in sql
        ]
    assert plans and all("SCAN directory" not in plan for plan in plans), plans
    scans = full_scans(desk, sent)
    assert scans == [], "\n".join(scans)


@pytest.mark.parametrize(
    ("f", "index"),
    [
        (TicketFilter(open=True, criticality="critical"), "ix_tickets_open_criticality"),
        (TicketFilter(open=True, category="printing"), "ix_tickets_open_category"),
        (TicketFilter(open=True, assignee="bob@example.com"), "ix_tickets_open_assignee"),
    ],
    ids=repr,
)
def test_open_with_another_filter_reads_one_index(desk: Desk, f: TicketFilter, index: str) -> None:
    """The page and its count read one range of the combined index: neither walks the
    open tickets testing the criticality (or the critical ones testing open)."""
    desk.take(mail("ivan@corp.example.ru", "Принтер", "Не печатает"))
    sent = capture(desk)
    with desk.db.read() as s:
        listing.page(s, f, "HD")
    listed = [(sql, p) for sql, p in sent if "FROM tickets" in sql]
    assert len(listed) == 2  # the page and its count
    with desk.db.engine.connect() as conn:
        for sql, params in listed:
            plan = " ".join(
                str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
            )
            assert f"USING COVERING INDEX {index}" in plan or f"USING INDEX {index}" in plan, plan
