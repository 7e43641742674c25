"""Fixtures for outgoing mail: real aiosmtpd servers on loopback, a TLS certificate, a DB."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from gateway.store.db import Database, upgrade


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Sink:
    """An aiosmtpd handler that records mail and refuses recipients by their local part.

    Local parts starting with `perm` get 550, with `temp` get 451; `data_reply` replaces
    the 250 answer to DATA.
    """

    data_reply: str = "250 2.0.0 Ok: queued"
    received: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("perm"):
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        if address.startswith("temp"):
            return f"451 4.3.0 <{address}>: Temporary lookup failure"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.data_reply.startswith("250"):
            self.received.append(envelope)
        return self.data_reply


@dataclass
class Server:
    host: str
    port: int
    sink: Sink


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., Server]]:
    """Start aiosmtpd servers: `smtp_server(sink=Sink(), **controller_kwargs)`."""
    controllers: list[Controller] = []

    def start(sink: Sink | None = None, **kwargs: Any) -> Server:
        sink = sink or Sink()
        port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        return Server("127.0.0.1", port, sink)

    yield start
    for controller in controllers:
        controller.stop()


@dataclass
class Cert:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    """A self-signed certificate for 127.0.0.1, made with the openssl CLI."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return Cert(cert, key)


def authenticator(user: str, password: str) -> Callable[..., AuthResult]:
    def check(
        server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (
            data.login.decode() == user and data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return check


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'helpdesk.db'}"
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()
