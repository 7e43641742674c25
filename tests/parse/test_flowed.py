"""format=flowed plain text (RFC 3676) is read as its writer meant it."""

from __future__ import annotations

from gateway.parse import parse_message, split_reply
from gateway.parse.flowed import unflow


def test_soft_breaks_are_joined_and_hard_breaks_kept() -> None:
    text = "Добрый день! Принтер на третьем этаже \nснова не печатает.\nСпасибо.\n"
    assert unflow(text) == "Добрый день! Принтер на третьем этаже снова не печатает.\nСпасибо.\n"


def test_quotes_keep_their_depth_and_stuffing_is_removed() -> None:
    text = (
        "Answer first \n"
        "line.\n"
        "> quoted paragraph that \n"
        "> continues here\n"
        ">> deeper \n"
        ">> quote\n"
        " From the stuffed line\n"
        "-- \n"
        "Ivan\n"
    )
    assert unflow(text).split("\n") == [
        "Answer first line.",
        "> quoted paragraph that continues here",
        ">> deeper quote",
        "From the stuffed line",
        "-- ",
        "Ivan",
        "",
    ]


def test_delsp_removes_the_soft_space() -> None:
    assert unflow("Zusammen \ngeschrieben\n", delsp=True) == "Zusammengeschrieben\n"


def test_a_flowed_line_before_another_depth_ends_its_paragraph() -> None:
    assert unflow("open \n> quote\n") == "open\n> quote\n"


def test_a_flowed_mail_is_unwrapped_and_its_quote_split_off() -> None:
    raw = (
        b"From: Agent <agent@example.com>\r\n"
        b"To: support@example.com\r\n"
        b"Subject: Re: [HD-1] printer\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; charset="UTF-8"; format=flowed\r\n'
        b"Content-Transfer-Encoding: 8bit\r\n"
        b"\r\n"
        b"Please restart the printer and tell us whether the error \r\n"
        b"is gone.\r\n"
        b"\r\n"
        b"On 21.11.2026 10:00, Ivan wrote:\r\n"
        b"> The printer on the third floor shows an error and does \r\n"
        b"> not print.\r\n"
    )
    msg = parse_message(raw)
    assert "whether the error is gone." in msg.text
    assert "> The printer on the third floor shows an error and does not print." in msg.text
    answer = "Please restart the printer and tell us whether the error is gone."
    assert split_reply(msg.text).body.strip() == answer
