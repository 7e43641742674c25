"""Loop safety through the real pipeline: the daily limit of automatic mail, bounces of our
own mail, X-Loop, automatic mail that never changes a ticket's status."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway import spool
from gateway.daemon.runner import Runner
from gateway.daemon.supervisor import prepare_database
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.store.model import Inbound, Message, Outbox, Ticket
from tests.harness import mail, write_config


class Desk:
    def __init__(self, tmp_path: Path, extra: str = "") -> None:
        self.cfg = config_mod.load(write_config(tmp_path, extra))
        self.db = prepare_database(self.cfg)  # the schema, and the [[agents]] as users
        self.runner = Runner(self.db, Services.from_config(self.cfg))

    def take(self, msg: EmailMessage | bytes, mail_from: str = "x@corp.example.org") -> None:
        raw = msg if isinstance(msg, bytes) else msg.as_bytes()
        with self.db.write() as s:
            spool.store(s, raw, source="smtp", mail_from=mail_from, rcpt_to=["support@example.com"])
        self.runner.drain()

    def outbox(
        self, kind: str | None = None, to: str | None = None, state: str = "queued"
    ) -> list[Outbox]:
        with self.db.read() as s:
            rows = list(s.scalars(select(Outbox).where(Outbox.state == state).order_by(Outbox.id)))
        return [
            r for r in rows if (kind is None or r.kind == kind) and (to is None or to in r.rcpt_to)
        ]

    def count(self, model: Any, *where: Any) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path)
    yield d
    d.db.dispose()


def test_at_most_20_automatic_mails_a_day_to_one_address(desk: Desk) -> None:
    for i in range(25):
        desk.take(mail(f"request {i}", "text", sender="busy@corp.example.org"))
    assert desk.count(Ticket) == 25
    assert len(desk.outbox("confirmation", "busy@corp.example.org")) == 20
    # The five over the limit are not lost in silence: each is a row saying why.
    held = desk.outbox("confirmation", "busy@corp.example.org", state="suppressed")
    assert len(held) == 5
    assert all("daily limit of 20" in r.last_reply for r in held)
    # The admin is told of every (unassigned) ticket: the limit protects outside addresses,
    # not the staff.
    assert len(desk.outbox("agent_new_ticket", "alice@example.com")) == 25


def test_limit_is_configurable(tmp_path: Path) -> None:
    desk = Desk(tmp_path, "[loop]\nmax_auto_replies_per_day = 2\n")
    for i in range(4):
        desk.take(mail(f"r{i}", "t", sender="c@corp.example.org"))
    assert len(desk.outbox("confirmation")) == 2


def test_bounce_of_our_confirmation_lands_on_its_ticket(desk: Desk) -> None:
    desk.take(mail("Почта не приходит", "текст", sender="typo@corp.example.org"))
    [confirmation] = desk.outbox("confirmation")
    original = confirmation.raw.split(b"\r\n\r\n", 1)[0]
    dsn = (
        b"From: MAILER-DAEMON@mx.corp.example.org\r\nTo: support@example.com\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        b" boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nUser unknown\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822;"
        b" typo@corp.example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n" + original + b"\r\n--B--\r\n"
    )
    sent_before = len(desk.outbox())
    desk.take(dsn, mail_from="")
    assert desk.count(Ticket) == 1
    with desk.db.read() as s:
        bounce = s.scalars(select(Message).order_by(Message.id.desc())).first()
        assert bounce is not None and bounce.kind == "auto" and bounce.hidden
        ticket = s.get(Ticket, bounce.ticket_id)
        assert ticket is not None and ticket.status == "new"
    # No reply to a bounce, no notice; the confirmation it returns is marked.
    assert len(desk.outbox()) == sent_before - 1
    [bounced] = desk.outbox("confirmation", state="bounced")
    assert bounced.id == confirmation.id and "userunknown 5.1.1" in bounced.last_reply


def test_our_own_mail_coming_back_is_ignored(desk: Desk) -> None:
    looped = mail(
        "[HD-1] something", "text", sender="someone@corp.example.org", X_Loop="support@example.com"
    )
    desk.take(looped)
    assert desk.count(Ticket) == 0
    assert desk.count(Inbound, Inbound.state == "ignored") == 1
    assert desk.outbox() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-generated"},
        {"Precedence": "bulk"},
        {"X_Autoreply": "yes"},
        {"X_Auto_Response_Suppress": "All"},
    ],
)
def test_automatic_new_mail_gets_no_confirmation(desk: Desk, headers: dict[str, str]) -> None:
    desk.take(mail("Newsletter", "text", sender="robot@vendor.example.net", **headers))
    assert desk.count(Ticket) == 1  # kept, and the staff see it
    assert desk.outbox("confirmation") == []
    # Nobody is assigned: the admin (not every agent) hears of it.
    [notice] = desk.outbox("agent_new_ticket")
    assert notice.rcpt_to == ["alice@example.com"]


def test_empty_return_path_is_a_bounce(desk: Desk) -> None:
    desk.take(mail("Delivery failure", "text", sender="postmaster@corp.example.org"), mail_from="")
    assert desk.outbox("confirmation") == []
