"""Transports against real parts: a Maildir on disk and aiosmtpd servers on loopback."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.outgoing.transports import make_transport
from gateway.outgoing.transports.maildir import MaildirTransport
from gateway.outgoing.transports.smtp import SmtpTransport
from gateway.settings.config import Config, OutgoingSection

from .conftest import Cert, Server, Sink, authenticator, free_port

RAW = b"From: support@example.com\r\nTo: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n.dot\r\n"


def files(path: Path) -> list[str]:
    return sorted(p.name for sub in ("new", "cur") for p in (path / sub).iterdir())


def test_maildir_exactly_once_per_key(tmp_path: Path) -> None:
    box = tmp_path / "outbox"
    transport = MaildirTransport(box)
    assert transport.send("s@x", ["a@x"], RAW, "17").outcome == "sent"
    assert transport.send("s@x", ["a@x"], RAW, "17").outcome == "sent"
    assert files(box) == ["helpdesk.17"]
    assert (box / "new" / "helpdesk.17").read_bytes() == RAW
    # A reader moved it to cur/ with flags: still recognised as delivered.
    (box / "new" / "helpdesk.17").rename(box / "cur" / "helpdesk.17:2,S")
    assert transport.send("s@x", ["a@x"], RAW, "17").outcome == "sent"
    assert transport.send("s@x", ["a@x"], RAW, "18").outcome == "sent"
    assert files(box) == ["helpdesk.17:2,S", "helpdesk.18"]
    assert list((box / "tmp").iterdir()) == []
    assert transport.send("s@x", ["a@x"], RAW, "odd/key:1").outcome == "sent"
    assert len(files(box)) == 3


def test_maildir_unwritable_is_temporary(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    result = MaildirTransport(tmp_path / "file" / "box").send("s@x", ["a@x"], RAW, "1")
    assert result.outcome == "temporary" and "maildir" in result.reply


def test_smtp_sent(smtp_server: Callable[..., Server]) -> None:
    server = smtp_server()
    result = SmtpTransport(server.host, server.port, timeout=5).send(
        "support@example.com", ["a@example.com", "b@example.com"], RAW, "1"
    )
    assert result.outcome == "sent" and result.reply.startswith("250")
    (env,) = server.sink.received
    assert env.rcpt_tos == ["a@example.com", "b@example.com"]
    assert env.mail_from == "support@example.com"
    assert env.original_content is not None and b"\r\n.dot\r\n" in env.original_content


def test_smtp_451_is_temporary(smtp_server: Callable[..., Server]) -> None:
    server = smtp_server(Sink(data_reply="451 4.3.0 Queue full, try later"))
    result = SmtpTransport(server.host, server.port, timeout=5).send(
        "s@x.com", ["a@x.com"], RAW, "1"
    )
    assert result.outcome == "temporary" and result.reply == "451 4.3.0 Queue full, try later"


def test_smtp_550_is_permanent_with_the_reply(smtp_server: Callable[..., Server]) -> None:
    server = smtp_server()
    result = SmtpTransport(server.host, server.port, timeout=5).send(
        "s@x.com", ["perm@x.com"], RAW, "1"
    )
    assert result.outcome == "permanent"
    assert "550 5.1.1 <perm@x.com>: Recipient address rejected" in result.reply
    assert server.sink.received == []


def test_smtp_partial_refusal(smtp_server: Callable[..., Server]) -> None:
    server = smtp_server()
    result = SmtpTransport(server.host, server.port, timeout=5).send(
        "s@x.com", ["ok@x.com", "perm@x.com", "temp@x.com"], RAW, "1"
    )
    assert result.outcome == "sent"
    assert set(result.failed_recipients) == {"perm@x.com", "temp@x.com"}
    assert result.failed_recipients["temp@x.com"].startswith("451")
    assert [e.rcpt_tos for e in server.sink.received] == [["ok@x.com"]]
    only_refused = SmtpTransport(server.host, server.port, timeout=5).send(
        "s@x.com", ["perm@x.com", "temp@x.com"], RAW, "2"
    )
    assert only_refused.outcome == "temporary"


def test_smtp_starttls(smtp_server: Callable[..., Server], tls_cert: Cert) -> None:
    server = smtp_server(tls_context=tls_cert.server_context(), require_starttls=True)
    plain = SmtpTransport(server.host, server.port, timeout=5)
    assert plain.send("s@x.com", ["a@x.com"], RAW, "1").outcome == "temporary"  # 530
    tls = SmtpTransport(
        server.host, server.port, starttls=True, timeout=5, ssl_context=tls_cert.client_context()
    )
    result = tls.send("s@x.com", ["a@x.com"], RAW, "2")
    assert result.outcome == "sent", result.reply
    assert len(server.sink.received) == 1
    untrusted = SmtpTransport(server.host, server.port, starttls=True, timeout=5)
    bad = untrusted.send("s@x.com", ["a@x.com"], RAW, "3")
    assert bad.outcome == "temporary" and "CERTIFICATE" in bad.reply.upper()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_auth(smtp_server: Callable[..., Server]) -> None:
    server = smtp_server(
        authenticator=authenticator("helpdesk", "s3cret"), auth_required=True,
        auth_require_tls=False,
    )  # fmt: skip
    good = SmtpTransport(
        server.host, server.port, username="helpdesk", password="s3cret", timeout=5
    )
    assert good.send("s@x.com", ["a@x.com"], RAW, "1").outcome == "sent"
    wrong = SmtpTransport(server.host, server.port, username="helpdesk", password="no", timeout=5)
    result = wrong.send("s@x.com", ["a@x.com"], RAW, "2")
    assert result.outcome == "temporary" and result.reply.split(": ", 1)[1].startswith("535")
    anonymous = SmtpTransport(server.host, server.port, timeout=5)
    assert anonymous.send("s@x.com", ["a@x.com"], RAW, "3").outcome == "temporary"
    assert len(server.sink.received) == 1


def test_connection_refused_and_silence_are_temporary() -> None:
    refused = SmtpTransport("127.0.0.1", free_port(), timeout=2).send("s@x", ["a@x"], RAW, "1")
    assert refused.outcome == "temporary" and "cannot connect" in refused.reply
    with socket.socket() as listener:  # accepts TCP but never greets
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        silent = SmtpTransport("127.0.0.1", port, timeout=0.5).send("s@x", ["a@x"], RAW, "1")
    assert silent.outcome == "temporary"


def test_make_transport(tmp_path: Path) -> None:
    cfg = Config(base_dir=tmp_path)
    maildir = make_transport(cfg)
    assert isinstance(maildir, MaildirTransport) and maildir.path == tmp_path / "var/outbox"
    cfg.outgoing = OutgoingSection(transport="smtp", host="relay", port=587, starttls=True)
    smtp = make_transport(cfg)
    assert isinstance(smtp, SmtpTransport) and (smtp.host, smtp.port) == ("relay", 587)


UTF8_RAW = "From: support@example.com\r\nTo: иван@xn--80a1acny.xn--p1ai\r\nSubject: hi\r\n\r\nb\r\n"


def test_smtp_utf8_local_part_over_smtputf8(smtp_server: Callable[..., Server]) -> None:
    server = smtp_server(enable_SMTPUTF8=True)
    result = SmtpTransport(server.host, server.port, timeout=5).send(
        "support@example.com", ["иван@xn--80a1acny.xn--p1ai"], UTF8_RAW.encode(), "1"
    )
    assert result.outcome == "sent", result.reply
    (env,) = server.sink.received
    assert env.rcpt_tos == ["иван@xn--80a1acny.xn--p1ai"]
    assert "SMTPUTF8" in env.mail_options


def test_smtp_utf8_local_part_without_smtputf8_is_undeliverable(
    smtp_server: Callable[..., Server],
) -> None:
    server = smtp_server(enable_SMTPUTF8=False)
    result = SmtpTransport(server.host, server.port, timeout=5).send(
        "support@example.com", ["иван@xn--80a1acny.xn--p1ai"], UTF8_RAW.encode(), "1"
    )
    assert result.outcome == "permanent"
    assert "SMTPUTF8" in result.reply and "иван@" in result.reply
    assert server.sink.received == []
