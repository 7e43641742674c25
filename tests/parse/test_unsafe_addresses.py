"""Addresses no header can carry are made safe at parse: an encoded word as local part, a
Unicode domain, control characters, 8-bit local parts; such mail is processed (released from
quarantine too) and never fails at notify."""

from __future__ import annotations

import email
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from gateway import spool
from gateway.cli.main import main
from gateway.daemon.runner import Runner
from gateway.outgoing import outbox
from gateway.outgoing.transports import make_transport
from gateway.parse import parse_message
from gateway.parse.headers import encodable, parse_addresses
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.settings.config import Config
from gateway.store.db import Database, upgrade
from gateway.store.model import Inbound, Outbox, Ticket
from tests.harness import write_config

ENCODED_LOCAL = "=?utf-8?b?0LjQstCw0L0=?="  # "иван", RFC 2047 where RFC 2047 is forbidden


@pytest.mark.parametrize(
    ("header", "email_", "ok"),
    [
        (
            f"{ENCODED_LOCAL} <{ENCODED_LOCAL}@corp.example.com>",
            "=?utf-8?b?0ljqstcw0l0=?=@corp.example.com",
            True,
        ),
        (f"{ENCODED_LOCAL}@mail.ru", "=?utf-8?b?0ljqstcw0l0=?=@mail.ru", True),
        ("Иван <ivan@пример.рф>", "ivan@xn--e1afmkfd.xn--p1ai", True),
        ("Bob <bob@EXAMPLE.com >", "bob@example.com", True),
        ("x <x@a\x01b.example.org>", "x@ab.example.org", True),
        ("иван@почта.example.com", "иван@xn--80a1acny.example.com", False),
    ],
)
def test_addresses_made_safe(header: str, email_: str, ok: bool) -> None:
    [address] = parse_addresses(header)
    assert address.email == email_
    assert encodable(address.email) is ok


def test_unencodable_sender_is_a_parse_problem() -> None:
    raw = "From: иван@почта.example.com\r\nSubject: x\r\n\r\nbody\r\n".encode()
    msg = parse_message(raw)
    assert any("needs SMTPUTF8" in p for p in msg.problems)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Config, Database, Path]]:
    path = write_config(tmp_path)
    cfg = config_mod.load(path)
    upgrade(cfg.database_url)
    db = Database.from_config(cfg)
    yield cfg, db, path
    db.dispose()


@pytest.mark.parametrize(
    "sender",
    [
        f'"{ENCODED_LOCAL}" <{ENCODED_LOCAL}@corp.example.com>',
        "Пётр <petr@почта.рф>",
        "Вася <вася@corp.example.com>",
    ],
)
def test_quarantined_mail_with_a_bad_from_is_released_and_processed(
    setup: tuple[Config, Database, Path], sender: str
) -> None:
    cfg, db, path = setup
    raw = (
        f"From: {sender}\r\nTo: support@example.com\r\n"
        "Subject: =?utf-8?b?0J/RgNC40L3RgtC10YA=?=\r\n"
        "Message-ID: <bad-from-1@corp.example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "\r\nНе печатает.\r\n"
    ).encode()
    with db.write() as s:
        row = spool.store(s, raw, source="test")
        # As the mail was left by a version that failed on it at notify.
        s.execute(
            update(Inbound)
            .where(Inbound.id == row.id)
            .values(state="quarantined", stage="notify", error="UnicodeEncodeError")
        )
        inbound_id = row.id
    released = CliRunner().invoke(
        main, ["--config", str(path), "quarantine", "release", str(inbound_id)]
    )
    assert released.exit_code == 0, released.output
    Runner(db, Services.from_config(cfg)).drain()
    with db.read() as s:
        inbound = s.get(Inbound, inbound_id)
        assert inbound is not None and inbound.state == "done", inbound and inbound.error
        [ticket] = s.scalars(select(Ticket)).all()
        assert ticket.requester.email.isascii() or "вася" in ticket.requester.email
        kinds = {r.kind: r for r in s.scalars(select(Outbox))}
    confirmation = kinds.get("confirmation")
    assert confirmation is not None
    transport = make_transport(cfg)
    outbox.send_due(db, transport, cfg.outgoing)
    with db.read() as s:
        sent = s.get(Outbox, confirmation.id)
        assert sent is not None and sent.state == "sent", sent and sent.last_reply
    if "вася" in sender:
        # A non-ASCII local part travels only as SMTPUTF8 mail: the header is UTF-8.
        assert "вася@corp.example.com".encode() in sent.raw
        return
    message = email.message_from_bytes(sent.raw)
    assert str(message["To"]).isascii()
