"""Messy real-world header blocks, charsets, attachment names and From forms, each reduced
to what a person reading the mail would see."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from gateway.parse import parse_message

DATA = Path(__file__).resolve().parent.parent / "data"


def test_headers_after_an_odd_line_and_names_from_every_source() -> None:
    msg = parse_message((DATA / "parse_messy_names.eml").read_bytes())
    assert msg.subject == "Printer on floor 5 is offline"
    assert (msg.sender.name, msg.sender.email) == ("李伟", "li.wei@mail.example.cn")
    assert msg.text == "你好，打印机不能用。"
    assert dict(msg.headers)["Thread-Topic"] == "打印机故障"
    assert [a.filename for a in msg.attachments] == [
        "测试报告.xls",  # GBK RFC 2047 name, decoded as gb18030
        "Error log 2026.pdf",  # Content-Location
        "Снимок экрана.png",  # Content-Description, with the type's extension
        "Toner low.eml",  # an attached message, named after its subject
        "attachment-5.bin",  # nothing names it: only then invented
    ]
    assert "garbled line 5 header line dropped" in msg.problems


@pytest.mark.parametrize(
    "head",
    [
        b"Received: from a.example.org\r\nX-Junk line without a colon\r\n",
        b"Received: from a.example.org\r\n>From bounce@a.example.org Mon Nov 23 2026\r\n",
        b" a continuation with nothing before it\r\n",
        b"X-Spam-Flag: NO\r\nX-Originating-IP : [198.51.100.7]\r\n",
    ],
)
def test_subject_survives_an_unusual_earlier_line(head: bytes) -> None:
    raw = head + b"From: Anna <anna@firma.de>\r\nSubject: Drucker defekt\r\n\r\nHallo\r\n"
    msg = parse_message(raw)
    assert msg.subject == "Drucker defekt"
    assert msg.sender.email == "anna@firma.de"
    assert msg.text == "Hallo"
    assert msg.problems  # the repair is noted, the raw message kept as it came


def test_body_without_a_blank_line_stays_body() -> None:
    msg = parse_message(b"From: a@corp.example\r\nSubject: Hi\r\nJust text, no blank line\r\n")
    assert msg.subject == "Hi" and "Just text" in msg.text


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("gb2312", "打印机故障"),
        ("GBK", "服务器无法连接"),
        ("ks_c_5601-1987", "프린터 고장"),
        ("windows-874", "เครื่องพิมพ์เสีย"),
        ("iso-8859-8-i", "המדפסת לא עובדת"),
        ("x-gbk", "邮件"),
    ],
)
def test_charset_aliases(charset: str, text: str) -> None:
    codec = {"gb2312": "gb2312", "GBK": "gbk", "x-gbk": "gbk", "ks_c_5601-1987": "cp949",
             "windows-874": "cp874", "iso-8859-8-i": "iso-8859-8"}[charset]  # fmt: skip
    word = base64.b64encode(text.encode(codec)).decode()
    raw = (
        f"From: user@mail.example.kr\r\nSubject: =?{charset}?B?{word}?=\r\n"
        f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{word}\r\n"
    ).encode()
    msg = parse_message(raw)
    assert msg.subject == text
    assert msg.text == text


@pytest.mark.parametrize(
    ("header", "email", "name"),
    [
        (b'"Doe, John" <john@corp.example>', "john@corp.example", "Doe, John"),
        (b"John <@relay.example.net:john@corp.example>", "john@corp.example", "John"),
        (b'Team: "Ann" <ann@x.test>, bob@x.test;', "ann@x.test", "Ann"),
        (
            b"=?utf-8?B?0JjQstCw0L3QvtCyLCDQmNCy0LDQvQ==?= <ivan@corp.ru>",
            "ivan@corp.ru",
            "Иванов, Иван",
        ),
        (b'"support@evil.example" <real@good.example>', "real@good.example",
         "support@evil.example"),
        (b'"Bob <bob@fake.example>" <bob@real.example>', "bob@real.example",
         "Bob <bob@fake.example>"),
        (b"john@corp.example (John, Doe)", "john@corp.example", "John, Doe"),
        (b"=?utf-8?Q?M=C3=BCller=2C_J=C3=B6rg?= <j@xn--mller-kva.de>", "j@xn--mller-kva.de",
         "Müller, Jörg"),
    ],
)  # fmt: skip
def test_odd_from_reduced_to_the_right_address(header: bytes, email: str, name: str) -> None:
    msg = parse_message(b"From: " + header + b"\r\nSubject: x\r\n\r\nbody\r\n")
    assert (msg.sender.email, msg.sender.name) == (email, name)
