"""parse_message on odd MIME, charsets and broken input."""

from __future__ import annotations

import base64
import os
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.parse import Address, parse_message
from tests.corpora import CORPORA

DATA = Path(__file__).resolve().parent.parent / "data"


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def b64word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


@pytest.mark.parametrize(
    "charset",
    ["koi8-r", "windows-1251", "iso-2022-jp", "gb2312", "gb18030", "utf-7", "utf-8"],
)
def test_encoded_subject_and_body_in_each_charset(charset: str) -> None:
    text = "日本語のテスト" if charset == "iso-2022-jp" else "测试邮件" if "gb" in charset else None
    text = text or "Привет, мир"
    raw = (
        f"From: {b64word('Отправитель' if text.startswith('П') else text, 'utf-8')} <a@b.example>\n"
        f"Subject: {b64word(text, charset)}\n"
        f"Content-Type: text/plain; charset={charset}\n\n"
    ).encode() + text.encode(charset)
    msg = parse_message(raw)
    assert msg.subject == text
    assert msg.text == text
    assert msg.sender.email == "a@b.example"


def test_bogus_charset_labels_fall_back() -> None:
    for label in ("DEFAULT_CHARSET", "unknown-8bit", "x-unknown", "foo-bar"):
        raw = (
            f"Subject: =?{label}?Q?caf=C3=A9?=\nContent-Type: text/plain; charset={label}\n\n"
        ).encode() + "café".encode()
        msg = parse_message(raw)
        assert msg.subject == "café", label
        assert msg.text == "café", label


def test_chinesebig5_is_big5() -> None:
    raw = b"Subject: x\nContent-Type: text/plain; charset=CHINESEBIG5\n\n" + "中文".encode("big5")
    assert parse_message(raw).text == "中文"


def test_undeclared_8bit_cyrillic_subject_and_body() -> None:
    for codec in ("cp1251", "koi8-r"):
        raw = (
            "From: Пётр <petr@example.com>\nSubject: Не работает принтер в бухгалтерии\n\n"
            "Добрый день, принтер не печатает.\n"
        ).encode(codec)
        msg = parse_message(raw)
        assert msg.subject == "Не работает принтер в бухгалтерии", codec
        assert msg.text == "Добрый день, принтер не печатает.", codec
        assert msg.sender == Address("Пётр", "petr@example.com")


def test_undeclared_utf8_headers() -> None:
    msg = parse_message("Subject: Grüße\nFrom: Jürgen <j@x.de>\n\nHallo".encode())
    assert (msg.subject, msg.sender.name) == ("Grüße", "Jürgen")


def test_broken_encoded_words() -> None:
    whole = "Проблема с почтой".encode()
    first, second = base64.b64encode(whole[:7]).decode(), base64.b64encode(whole[7:]).decode()
    raw = f"Subject: =?UTF-8?B?{first}?=\n =?UTF-8?B?{second}?= [HD-7]\n\n".encode()
    assert parse_message(raw).subject == "Проблема с почтой [HD-7]"
    # Missing padding and lowercase q, spaces inside a Q word.
    raw = b"Subject: =?utf-8?b?0J/RgNC40LLQtdGC?= and =?utf-8?q?caf=C3=A9 bar?=\n\n"
    assert parse_message(raw).subject == "Привет and café bar"


def test_rfc2231_filename_and_unsafe_names() -> None:
    msg = parse_message(fixture("parse_rfc2231.eml"))
    assert msg.subject == "Отчёт"
    names = [a.filename for a in msg.attachments]
    assert names == ["отчёт.pdf", "hid_den.txt", "attachment-3.png"]
    assert msg.attachments[0].data.startswith(b"%PDF")
    assert msg.attachments[0].content_type == "application/pdf"


def test_long_filename_is_cut_keeping_extension() -> None:
    name = "я" * 300 + ".docx"
    raw = (
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nx\n"
        f'--b\nContent-Disposition: attachment; filename="{name}"\n\ndata\n--b--\n'
    ).encode()
    [att] = parse_message(raw).attachments
    assert att.filename.endswith(".docx")
    assert len(att.filename.encode()) <= 255


def test_truncated_multipart_keeps_what_arrived() -> None:
    msg = parse_message(fixture("parse_truncated.eml"))
    assert msg.text == "First part survives."
    assert [a.filename for a in msg.attachments] == ["cut.bin"]
    assert msg.attachments[0].data == bytes(range(6))
    assert any("Boundary" in p for p in msg.problems)


def test_garbage_bytes_never_raise() -> None:
    rng = random.Random(7)
    for size in (1, 10, 100, 5000):
        parse_message(bytes(rng.randrange(256) for _ in range(size)))
    parse_message(os.urandom(2000))
    parse_message(b"Content-Type: multipart/mixed; boundary=\n\n--\n--\n")
    parse_message(b"\x00\xff" * 100)


def test_empty_message() -> None:
    msg = parse_message(b"")
    assert msg.subject == "" and msg.text == "" and msg.sender == Address("", "")
    assert msg.problems


def test_header_only_message() -> None:
    msg = parse_message(
        b"From: x@example.com\nSubject: only headers\nMessage-ID: <id1@x>\n"
        b"In-Reply-To: <p@x> (comment)\nReferences: <a@x>\n <b@x>\n"
        b"Date: Wed, 18 Jun 2003 11:14:38 +0400 (MSD)"
    )
    assert msg.subject == "only headers"
    assert (msg.message_id, msg.in_reply_to, msg.references) == ("id1@x", ["p@x"], ["a@x", "b@x"])
    assert msg.date == datetime(2003, 6, 18, 7, 14, 38, tzinfo=UTC)
    assert msg.text == "" and msg.attachments == []
    assert msg.header("SUBJECT") == "only headers"
    assert msg.header_all("references") == ["<a@x> <b@x>"]


def test_html_only_mail() -> None:
    raw = (
        b"Subject: html\nContent-Type: text/html; charset=utf-8\n\n"
        b"<html><head><style>p{color:red}</style></head><body><p>Hello <b>you</b>,</p>"
        b'<p>see <a href="https://example.org/doc">the doc</a>.</p>'
        b'<img src="http://tracker.example/p.gif" onerror="x()"></body></html>'
    )
    msg = parse_message(raw)
    assert "Hello you," in msg.text
    assert "https://example.org/doc" in msg.text
    assert "color:red" not in msg.text
    assert "onerror" not in msg.html and "tracker" not in msg.html and "<style" not in msg.html
    assert 'href="https://example.org/doc"' in msg.html


def test_inline_image_keeps_content_id() -> None:
    msg = parse_message(fixture("parse_inline_cid.eml"))
    [img] = msg.attachments
    assert (img.filename, img.content_type, img.inline) == ("logo.png", "image/png", True)
    assert img.content_id == "logo@example.com"
    assert 'src="cid:logo@example.com"' in msg.html
    assert "<script" not in msg.html and "onclick" not in msg.html
    assert msg.text.startswith("Look:")


def test_uuencode_in_plain_body() -> None:
    msg = parse_message(fixture("parse_uuencode.eml"))
    [att] = msg.attachments
    assert (att.filename, att.data) == ("hello.txt", b"hello world\n")
    assert "begin 644" not in msg.text
    assert "Here is the file." in msg.text and "Bye." in msg.text


def test_nested_message_is_an_eml_attachment() -> None:
    msg = parse_message(fixture("parse_nested_rfc822.eml"))
    assert msg.text == "Forwarding this one."
    [att] = msg.attachments
    assert (att.filename, att.content_type) == ("original.eml", "message/rfc822")
    inner = parse_message(att.data)
    assert inner.subject == "original"
    assert [a.filename for a in inner.attachments] == ["inner.txt"]


def test_alternative_prefers_plain_and_keeps_html() -> None:
    raw = (
        b"Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain\n\n"
        b"plain version\n--a\nContent-Type: text/html\n\n<p>html version</p>\n--a--\n"
    )
    msg = parse_message(raw)
    assert msg.text == "plain version"
    assert msg.html == "<p>html version</p>"


def test_signed_mail_keeps_signature_part() -> None:
    raw = (
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=s\n\n'
        b"--s\nContent-Type: text/plain\n\nsigned text\n--s\n"
        b"Content-Type: application/pkcs7-signature; name=smime.p7s\n"
        b"Content-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHAqCAMIA=\n--s--\n"
    )
    msg = parse_message(raw)
    assert msg.text == "signed text"
    assert [a.filename for a in msg.attachments] == ["smime.p7s"]


def test_reply_parts_filled() -> None:
    raw = (
        "From: a@example.com\nSubject: Re: x\nContent-Type: text/plain; charset=utf-8\n\n"
        "Готово.\n\n-- \nИван\n\n"
        '12.03.2020, 10:00, "Support" <support@example.com>:\n> старое\n'
    ).encode()
    msg = parse_message(raw)
    assert (msg.body, msg.signature) == ("Готово.", "-- \nИван")
    assert msg.quoted.endswith("> старое")


SWEEP = ["zammad/test/data/mail", "stalwart_mail_parser", "mailparser_spamscope", "rt_emails"]


def test_every_corpus_message_parses() -> None:
    assert CORPORA.is_dir(), f"the corpora must be at {CORPORA} (../shared beside the checkout)"
    count = 0
    for rel in SWEEP:
        for path in sorted((CORPORA / rel).rglob("*")):
            if path.is_file() and path.suffix not in (".yml", ".json"):
                parse_message(path.read_bytes())
                count += 1
    assert count > 200


def test_header_looks_up_the_first_of_its_name_as_the_list_is_now() -> None:
    """`header` (indexed on first use) answers for the headers as they are when asked:
    case-insensitive, the first of a repeated name, an appended or replaced list seen."""
    mail = parse_message(
        b"Subject: one\r\nX-Priority: 1\r\nx-priority: 5\r\nReceived: a\r\n"
        b"\tfolded\r\nFrom: a@example.com\r\n\r\nbody\r\n"
    )
    assert mail.header("X-PRIORITY") == "1" and mail.header("received") == "a\tfolded"
    assert mail.header("Importance") is None
    mail.headers.append(("Importance", "high"))
    assert mail.header("importance") == "high"
    mail.headers = [("Subject", "two")]
    assert mail.header("subject") == "two" and mail.header("x-priority") is None
    assert mail.header_all("SUBJECT") == ["two"]


def test_the_indexed_parse_is_the_email_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every corpus message, and the bounces, parsed into indexed messages (the runner's
    parser) gives what the email package's own messages give: fields, headers, parts,
    attachments, problems, the bounce read from the tree."""
    from email import policy
    from email.parser import BytesParser

    from gateway.bounces import read_bounce
    from gateway.parse import message as parsing

    raws = [
        path.read_bytes()
        for rel in [*SWEEP, "sisimai_bounces"]
        for path in sorted((CORPORA / rel).rglob("*"))
        if path.is_file() and path.suffix not in (".yml", ".json")
    ]
    raws += [fixture(p.name) for p in sorted(DATA.glob("*.eml"))]
    assert len(raws) > 300

    def both(raw: bytes) -> tuple[object, object]:
        parsed = parse_message(raw)
        return parsed, read_bounce(raw, parsed.tree)

    indexed = [both(raw) for raw in raws]
    plain = BytesParser(policy=policy.compat32)
    monkeypatch.setattr(parsing, "_parser", lambda: plain)
    assert [both(raw) for raw in raws] == indexed
