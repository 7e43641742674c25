"""The outbox state machine against a real SQLite database and real transports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import update

from gateway.outgoing import outbox
from gateway.outgoing.compose import build, make_message_id
from gateway.outgoing.transports.maildir import MaildirTransport
from gateway.outgoing.transports.smtp import SmtpTransport
from gateway.settings.config import OutgoingSection
from gateway.store.db import Database
from gateway.store.model import Outbox, utcnow

from .conftest import Server, Sink

CFG = OutgoingSection(retry_hours=2, retry_initial_seconds=60, retry_max_seconds=600)


def queue(db: Database, rcpt: list[str], subject: str = "[HD-1] Тест") -> int:
    message = build(
        from_name="IT", from_addr="support@example.com", to=[("", r) for r in rcpt],
        subject=subject, text="текст", html="<p>текст</p>",
        message_id=make_message_id(None, "example.com"), auto_submitted="auto-replied",
    )  # fmt: skip
    with db.write() as session:
        row = outbox.enqueue(
            session, kind="confirmation", ticket_id=None, mail_from="support@example.com",
            rcpt_to=rcpt, message=message, automatic=True,
        )  # fmt: skip
        session.flush()
        return row.id


def get(db: Database, row_id: int) -> Outbox:
    with db.read() as session:
        row = session.get(Outbox, row_id)
        assert row is not None
        return row


def test_enqueue_does_not_commit(db: Database) -> None:
    message = build(
        from_name="IT", from_addr="support@example.com", to=[("", "a@example.com")],
        subject="s", text="t", html="<p>t</p>", message_id="<m1@example.com>",
    )  # fmt: skip
    with db.session() as session:
        outbox.enqueue(
            session, kind="answer", ticket_id=None, mail_from="support@example.com",
            rcpt_to=["a@example.com"], message=message, automatic=False,
        )  # fmt: skip
        session.rollback()
    with db.read() as session:
        assert outbox.list_rows(session) == []


def test_sent_to_maildir_once(db: Database, tmp_path: Path) -> None:
    row_id = queue(db, ["a@example.com"])
    box = tmp_path / "box"
    assert outbox.send_due(db, MaildirTransport(box), CFG) == 1
    row = get(db, row_id)
    assert row.state == "sent" and row.sent_at is not None and "delivered" in row.last_reply
    assert row.message_id.startswith("hd.0.") and row.subject == "[HD-1] Тест"
    assert (box / "new" / f"helpdesk.{row_id}").read_bytes() == row.raw
    assert outbox.send_due(db, MaildirTransport(box), CFG) == 0
    # A crash after delivery but before recording it: the claim's lease keeps the row
    # away from other senders for a while, then it is sent again and no copy is made.
    with db.write() as session:
        session.execute(update(Outbox).values(state="queued", sent_at=None))
    assert outbox.send_due(db, MaildirTransport(box), CFG) == 0
    later = utcnow() + dt.timedelta(minutes=5)
    assert outbox.send_due(db, MaildirTransport(box), CFG, now=later) == 1
    assert get(db, row_id).state == "sent"
    assert len(list((box / "new").iterdir())) == 1


def test_4xx_retried_with_growing_delays_then_failed(
    db: Database, smtp_server: Callable[..., Server]
) -> None:
    server = smtp_server(Sink(data_reply="451 4.3.0 Mailbox busy"))
    transport = SmtpTransport(server.host, server.port, timeout=5)
    row_id = queue(db, ["a@example.com"])
    created = get(db, row_id).created_at
    now = created
    delays: list[float] = []
    for _ in range(40):
        assert outbox.send_due(db, transport, CFG, now=now) == 1
        row = get(db, row_id)
        if row.state != "queued":
            break
        assert outbox.send_due(db, transport, CFG, now=now) == 0  # not due yet
        delays.append((row.next_attempt_at - now).total_seconds())
        now = row.next_attempt_at
    assert row.state == "failed" and row.last_reply == "451 4.3.0 Mailbox busy"
    assert delays[:6] == [60, 120, 240, 480, 600, 600]
    assert now == created + dt.timedelta(hours=2)
    assert sum(delays) == 7200 and row.attempts == len(delays) + 1
    assert row.sent_at is None and server.sink.received == []


def test_5xx_fails_at_once_with_the_reply(db: Database, smtp_server: Callable[..., Server]) -> None:
    server = smtp_server()
    row_id = queue(db, ["perm@example.com"])
    assert outbox.send_due(db, SmtpTransport(server.host, server.port, timeout=5), CFG) == 1
    row = get(db, row_id)
    assert row.state == "failed" and row.attempts == 1
    assert "550 5.1.1 <perm@example.com>: Recipient address rejected" in row.last_reply


def test_partial_delivery_retries_only_deferred_recipients(
    db: Database, smtp_server: Callable[..., Server]
) -> None:
    server = smtp_server()
    transport = SmtpTransport(server.host, server.port, timeout=5)
    row_id = queue(db, ["ok@example.com", "perm@example.com", "temp@example.com"])
    assert outbox.send_due(db, transport, CFG) == 1
    row = get(db, row_id)
    assert row.state == "queued" and row.rcpt_to == ["temp@example.com"]
    assert "sent to ok@example.com" in row.last_reply and "550" in row.last_reply
    assert [e.rcpt_tos for e in server.sink.received] == [["ok@example.com"]]


def test_due_order_and_limit(db: Database, tmp_path: Path) -> None:
    ids = [queue(db, [f"u{i}@example.com"]) for i in range(5)]
    transport = MaildirTransport(tmp_path / "box")
    assert outbox.send_due(db, transport, CFG, limit=2) == 2
    assert outbox.send_due(db, transport, CFG) == 3
    with db.read() as session:
        rows = outbox.list_rows(session, state="sent")
        assert [r.id for r in rows] == ids[::-1]
        assert outbox.list_rows(session, state="failed") == []


def test_requeue_a_failed_row(db: Database, smtp_server: Callable[..., Server]) -> None:
    server = smtp_server()
    row_id = queue(db, ["perm@example.com"])
    outbox.send_due(db, SmtpTransport(server.host, server.port, timeout=5), CFG)
    with db.write() as session:
        row = outbox.requeue(session, row_id)
        assert row is not None and row.state == "queued"
        assert outbox.requeue(session, 999) is None
    with db.write() as session:
        session.execute(update(Outbox).values(rcpt_to=["ok@example.com"]))
    assert outbox.send_due(db, SmtpTransport(server.host, server.port, timeout=5), CFG) == 1
    assert get(db, row_id).state == "sent" and len(server.sink.received) == 1
