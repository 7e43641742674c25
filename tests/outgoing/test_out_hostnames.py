"""The names the daemon gives in SMTP: the intake's 220 banner and EHLO reply
(`[smtp] hostname`) and the EHLO of the smtp transport (`[outgoing] ehlo_hostname`), each
checked over a real connection; a bad name is a config error."""

from __future__ import annotations

import asyncio
import smtplib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import Envelope, Session

from gateway.addresses import AddressBook
from gateway.intake.group_commit import GroupCommitWriter
from gateway.intake.smtp import IntakeHandler, SmtpIntake
from gateway.outgoing.transports import make_transport
from gateway.settings import config as config_mod
from gateway.settings.config import Config, OutgoingSection, validate
from gateway.store.db import Database, upgrade
from tests.harness import free_port, write_config
from tests.outgoing.conftest import Server, Sink

RAW = b"From: support@example.com\r\nTo: a@example.com\r\nSubject: x\r\n\r\nbody\r\n"


@dataclass
class HeloSink(Sink):
    helo: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.helo.append(str(session.host_name))
        return await super().handle_DATA(server, session, envelope)


def test_transport_says_the_configured_ehlo_name(
    smtp_server: Callable[..., Server], tmp_path: Path
) -> None:
    sink = HeloSink()
    server = smtp_server(sink)
    cfg = Config(base_dir=tmp_path)
    cfg.outgoing = OutgoingSection(
        transport="smtp", host=server.host, port=server.port, ehlo_hostname="desk.corp.example.com"
    )
    result = make_transport(cfg).send("support@example.com", ["a@example.com"], RAW, "1")
    assert result.outcome == "sent", result.reply
    assert sink.helo == ["desk.corp.example.com"]


def test_intake_banner_and_ehlo_name(tmp_path: Path) -> None:
    cfg = config_mod.load(write_config(tmp_path, port=free_port()))
    cfg.smtp.hostname = "mx.helpdesk.example.org"
    upgrade(cfg.database_url)
    db = Database.from_config(cfg)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    writer = GroupCommitWriter(db)
    intake = SmtpIntake(cfg, IntakeHandler(AddressBook(cfg), writer))

    async def start() -> None:
        writer.start()
        await intake.start()

    async def stop() -> None:
        await intake.stop(grace_seconds=5)
        await writer.stop()

    asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    try:
        client = smtplib.SMTP(timeout=10)
        code, banner = client.connect("127.0.0.1", intake.port)
        assert code == 220 and banner.startswith(b"mx.helpdesk.example.org"), banner
        code, reply = client.ehlo("client.example.com")
        assert code == 250 and reply.startswith(b"mx.helpdesk.example.org"), reply
        client.quit()
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        db.dispose()


def test_bad_host_names_are_config_errors(tmp_path: Path) -> None:
    cfg = Config(base_dir=tmp_path)
    cfg.smtp.hostname = "mx helpdesk"
    cfg.outgoing.ehlo_hostname = "почта.рф"
    problems = " ".join(validate(cfg))
    assert "[smtp] hostname" in problems and "[outgoing] ehlo_hostname" in problems
    cfg.smtp.hostname, cfg.outgoing.ehlo_hostname = "mx.example.com", "xn--80a1acny.xn--p1ai"
    assert not [p for p in validate(cfg) if "hostname" in p]
