"""Composed messages, parsed back from their bytes with the stdlib."""

from __future__ import annotations

import datetime as dt
import email
import io
from email import policy
from email.message import EmailMessage, Message

from gateway.outgoing import mime_bytes
from gateway.outgoing.compose import (
    build,
    make_message_id,
    ticket_id_from_message_id,
    to_bytes,
    trim_references,
)

SUBJECT = "[HD-12] Не работает принтер на третьем этаже, очень длинная тема, которую нужно свернуть"


def compose(**overrides: object) -> bytes:
    args: dict[str, object] = dict(
        from_name="Служба ИТ-поддержки",
        from_addr="support@example.com",
        to=[("Иван Петров", "ivan@example.com")],
        cc=[("Smith, John", "john@example.com")],
        subject=SUBJECT,
        text="Здравствуйте!\n\nПринтер починили.\n",
        html="<p>Здравствуйте!</p><p>Принтер починили.</p>",
        message_id=make_message_id(12, "example.com"),
        in_reply_to="<client-1@mail.example.net>",
        references=["root@x", "<client-1@mail.example.net>"],
        reply_to="support+abc123@example.com",
        auto_submitted="auto-replied",
        headers={"X-Loop": "support@example.com"},
    )
    args.update(overrides)
    return to_bytes(build(**args))  # type: ignore[arg-type]


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_bytes_are_7bit_crlf_and_folded() -> None:
    raw = compose()
    assert all(b < 128 for b in raw)
    assert raw.count(b"\n") == raw.count(b"\r\n")
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in header_block.split(b"\r\n")) <= 78
    assert b"=?utf-8?" in header_block


def test_headers_decode_back() -> None:
    msg = parse(compose())
    assert msg["Subject"] == SUBJECT
    assert msg["From"].addresses[0].display_name == "Служба ИТ-поддержки"
    assert msg["From"].addresses[0].addr_spec == "support@example.com"
    assert msg["To"].addresses[0].display_name == "Иван Петров"
    assert msg["Cc"].addresses[0].display_name == "Smith, John"
    assert msg["Reply-To"].addresses[0].addr_spec == "support+abc123@example.com"
    assert msg["MIME-Version"] == "1.0"
    assert msg["Date"].datetime.tzinfo is not None
    assert ticket_id_from_message_id(msg["Message-ID"]) == 12
    assert msg["X-Loop"] == "support@example.com"


def test_short_russian_words_keep_their_spaces() -> None:
    for subject in ("Привет мир", "a " * 60 + "б " * 60, "Re: " + "слово " * 40):
        assert parse(compose(subject=subject))["Subject"] == " ".join(subject.split())


def test_alternative_parts() -> None:
    msg = parse(compose())
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    assert "Принтер починили." in plain.get_content()
    assert "<p>Принтер починили.</p>" in html.get_content()
    assert plain["Content-Transfer-Encoding"] in ("base64", "quoted-printable")


def test_attachments_make_it_mixed() -> None:
    raw = compose(attachments=[("отчёт.pdf", "application/pdf", b"%PDF-1.4 data")])
    msg = parse(raw)
    assert msg.get_content_type() == "multipart/mixed"
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == "отчёт.pdf"
    assert part.get_content() == b"%PDF-1.4 data"
    assert msg.get_body(("plain",)) is not None


def test_threading_headers() -> None:
    msg = parse(compose())
    assert msg["In-Reply-To"] == "<client-1@mail.example.net>"
    assert msg["References"].split() == ["<root@x>", "<client-1@mail.example.net>"]
    many = [f"id{i}@x" for i in range(50)]
    trimmed = trim_references(many)
    assert len(trimmed) == 21 and trimmed[0] == "<id0@x>" and trimmed[-1] == "<id49@x>"
    refs = parse(compose(references=many, in_reply_to=None))["References"].split()
    assert refs == trimmed


def test_auto_submitted_only_on_automatic_mail() -> None:
    auto = parse(compose())
    assert auto["Auto-Submitted"] == "auto-replied"
    assert auto["X-Auto-Response-Suppress"] == "All"
    human = parse(compose(auto_submitted=None))
    assert human["Auto-Submitted"] is None and human["Precedence"] is None


def test_message_ids() -> None:
    when = dt.datetime(2026, 11, 22, 10, 15, tzinfo=dt.UTC)
    ids = {make_message_id(17, "example.com", when) for _ in range(1000)}
    assert len(ids) == 1000
    mid = ids.pop()
    assert mid.startswith("<hd.17.20261122T101500.") and mid.endswith("@example.com>")
    assert ticket_id_from_message_id(mid) == 17
    assert ticket_id_from_message_id(mid.strip("<>")) == 17
    assert ticket_id_from_message_id(make_message_id(None, "example.com")) is None
    assert ticket_id_from_message_id("<CAF=abc@mail.gmail.com>") is None


def _generator_bytes(msg: Message) -> bytes:
    """The message as the stdlib compat32 generator writes it (with our header writer)."""
    buf = io.BytesIO()
    mime_bytes._Generator(buf, policy=mime_bytes.POLICY).flatten(msg)
    return buf.getvalue()


def test_direct_serialiser_writes_what_the_generator_writes() -> None:
    texts = ["", "From me\nFrom you\n>From x", "a\r\nb\rc\n\n", "Привет\nFrom x\n", "x" * 300]
    files = [
        [],
        [("a.txt", "text/plain", b"From x\nhello")],
        [("m.eml", "message/rfc822", b"Subject: x\n\nbody")],  # the generator's own path
        [("f.bin", "application/octet-stream", bytes(range(256)) * 10)],
    ]
    for i, text in enumerate(texts):
        for attachments in files:
            msg = build(
                from_name="IT", from_addr="support@example.com", to=[("", "a@example.com")],
                subject="s", text=text, html=f"<p>{text}</p>", message_id="<m@example.com>",
                attachments=attachments,
                inline=[("i.png", "image/png", b"\x89PNG", "c1")] if i % 2 else None,
            )  # fmt: skip
            assert to_bytes(msg) == _generator_bytes(msg)
    parsed = email.message_from_bytes(b"Subject: x\n\nFrom here\n", policy=policy.compat32)
    parsed.preamble = "not covered"
    assert to_bytes(parsed) == _generator_bytes(parsed)
