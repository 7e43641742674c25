"""Non-ASCII in headers over real SMTP: an SMTPUTF8 sender, a UTF-8 Message-ID, an IDN
domain: each becomes a ticket with a confirmation, and nothing raises."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from gateway.store.model import Inbound, Outbox, User
from tests.harness import Daemon


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("nonascii")).start()
    yield d
    d.close()


def send_utf8(daemon: Daemon, raw: bytes, mail_from: str) -> int:
    with smtplib.SMTP("127.0.0.1", daemon.port, timeout=30) as client:
        client.ehlo()
        assert client.has_extn("smtputf8")
        code, _ = client.mail(mail_from, ["SMTPUTF8", "BODY=8BITMIME"])
        assert code == 250
        assert client.rcpt("support@example.com")[0] == 250
        return client.data(raw)[0]


def utf8_mail(sender: str, subject: str, message_id: str) -> bytes:
    return (
        f"From: Иван Петров <{sender}>\r\nTo: support@example.com\r\n"
        f"Subject: {subject}\r\nMessage-ID: {message_id}\r\n"
        "Date: Wed, 02 Dec 2026 10:00:00 +0300\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Не печатает принтер на третьем этаже.\r\n"
    ).encode()


def outbox_for(daemon: Daemon, kind: str) -> list[Outbox]:
    with daemon.db.read() as s:
        return list(s.scalars(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)))


def test_smtputf8_sender_with_utf8_message_id_gets_a_confirmation(daemon: Daemon) -> None:
    raw = utf8_mail("иван@почта.рф", "Принтер", "<письмо.1@почта.рф>")
    assert send_utf8(daemon, raw, "иван@почта.рф") == 250
    daemon.settle()
    with daemon.db.read() as s:
        states = [(r.state, r.error) for r in s.scalars(select(Inbound))]
    assert states == [("done", None)], states
    [confirmation] = outbox_for(daemon, "confirmation")
    # The local part cannot be punycoded: the Maildir relay takes it as SMTPUTF8 mail.
    assert confirmation.rcpt_to == ["иван@xn--80a1acny.xn--p1ai"]
    head = confirmation.raw.split(b"\r\n\r\n", 1)[0]
    assert "письмо.1".encode() not in head  # the foreign id is dropped, not copied raw
    assert confirmation.state == "sent", confirmation.last_reply


def test_idn_domain_goes_out_in_punycode_and_is_one_user(daemon: Daemon) -> None:
    raw = utf8_mail("maria@пример.рф", "Нет сети", "<a1@xn--e1afmkfd.xn--p1ai>")
    assert send_utf8(daemon, raw, "maria@пример.рф") == 250
    raw2 = utf8_mail("maria@xn--e1afmkfd.xn--p1ai", "Нет сети снова", "<a2@xn--e1afmkfd.xn--p1ai>")
    assert send_utf8(daemon, raw2, "maria@xn--e1afmkfd.xn--p1ai") == 250
    daemon.settle()
    with daemon.db.read() as s:
        users = [u.email for u in s.scalars(select(User)) if "maria" in u.email]
    assert users == ["maria@xn--e1afmkfd.xn--p1ai"]
    rows = [r for r in outbox_for(daemon, "confirmation") if "maria" in r.rcpt_to[0]]
    assert len(rows) == 2 and all(r.rcpt_to == ["maria@xn--e1afmkfd.xn--p1ai"] for r in rows)
    assert all(r.raw.isascii() for r in rows)


def test_8bit_message_id_in_legacy_mail_never_crashes(daemon: Daemon) -> None:
    raw = (
        b"From: petr@corp.example.org\r\nTo: support@example.com\r\nSubject: test\r\n"
        b"Message-ID: <\xcf\xf0\xe8\xe2\xe5\xf2.7@corp.example.org>\r\n"
        b"References: <\xd0\xbf\xd1\x80\xd0\xb8@x.example.org> <ok.1@corp.example.org>\r\n"
        b"\r\nHello\r\n"
    )
    assert daemon.send(raw, mail_from="petr@corp.example.org")[0] == 250
    daemon.settle()
    with daemon.db.read() as s:
        row = s.scalars(select(Inbound).where(Inbound.mail_from == "petr@corp.example.org")).one()
    assert row.state == "done", row.error
    confirmation = [
        r for r in outbox_for(daemon, "confirmation") if r.rcpt_to == ["petr@corp.example.org"]
    ]
    assert len(confirmation) == 1 and confirmation[0].raw.split(b"\r\n\r\n")[0].isascii()


def test_bidi_in_file_names_and_nul_in_subject_go_nowhere(daemon: Daemon) -> None:
    import base64

    from gateway.store.model import Attachment

    nul_subject = (
        "=?utf-8?b?" + base64.b64encode("Счёт\x00 оплачен\x1b[2J".encode()).decode() + "?="
    )
    raw = (
        "From: olga@corp.example.org\r\nTo: support@example.com\r\n"
        f"Subject: {nul_subject}\r\nMessage-ID: <bidi.1@corp.example.org>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nСм. вложение\r\n"
        "--B\r\nContent-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment; filename*=utf-8''%E2%80%AEgnp.exe\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nTVo=\r\n--B--\r\n"
    ).encode()
    assert daemon.send(raw, mail_from="olga@corp.example.org")[0] == 250
    daemon.settle()
    with daemon.db.read() as s:
        names = [a.filename for a in s.scalars(select(Attachment))]
    assert "gnp.exe" in names and not any("\u202e" in n for n in names)
    [confirmation] = [r for r in outbox_for(daemon, "confirmation") if "olga@" in r.rcpt_to[0]]
    head = confirmation.raw.split(b"\r\n\r\n", 1)[0]
    import email.header

    subject_line = [h for h in head.split(b"\r\n") if h.startswith(b"Subject:")]
    decoded = str(
        email.header.make_header(email.header.decode_header(subject_line[0][9:].decode()))
    )
    assert "\x00" not in decoded and "\x1b" not in decoded and "Счёт" in decoded
