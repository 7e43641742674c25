"""Signals of how a message's text was labelled and written: 8-bit bytes without their
charset, headers in raw 8-bit, text shown as mojibake, a body in capitals; on Russian,
Chinese, Japanese and English mail, each against the same text written as a client would."""

from __future__ import annotations

from classifier.features import tokens_of
from classifier.message import extract

RU = "Здравствуйте, не печатает принтер в кабинете 210 с утра, помогите пожалуйста. Ольга"
ZH = "您好，本公司提供各種墨水匣批發，價格優惠，歡迎來電洽詢，謝謝您的支持與愛護。" * 3
JA = "いつもお世話になっております。添付の画面について教えてください。よろしくお願いします。"
EN = (
    "Hello team, the printer in room 210 has not worked since the VPN change this morning. "
    "Could someone from IT have a look before the board meeting at noon? Thanks, Olga"
)


def mail(body: bytes, content_type: str, subject: bytes = b"Printer") -> bytes:
    return (
        b"From: Olga <olga@corp.example.com>\nTo: desk@example.com\nSubject: " + subject + b"\n"
        b"Date: Mon, 03 Mar 2025 10:00:00 +0300\nMessage-ID: <a1b2c3d4e5@corp.example.com>\n"
        b"MIME-Version: 1.0\nContent-Type: " + content_type.encode() + b"\n"
        b"Content-Transfer-Encoding: 8bit\n\n" + body + b"\n"
    )


def signs(raw: bytes) -> set[str]:
    return {t for t in tokens_of(extract(raw)).all() if t.startswith("sig:")}


def test_eight_bit_text_without_its_charset() -> None:
    assert "sig:8bit_undeclared" in signs(mail(RU.encode("koi8-r"), "text/plain"))
    assert "sig:8bit_undeclared" in signs(mail(ZH.encode("big5"), "text/plain"))
    assert "sig:8bit_as_ascii" in signs(
        mail(JA.encode("shift_jis"), "text/plain; charset=us-ascii")
    )
    # The same text under the charset it was written in is what every client sends.
    for text, charset in ((RU, "koi8-r"), (ZH, "big5"), (JA, "shift_jis"), (EN, "us-ascii")):
        found = signs(mail(text.encode(charset), f"text/plain; charset={charset}"))
        assert not found & {"sig:8bit_undeclared", "sig:8bit_as_ascii", "sig:mojibake"}, charset
    assert not signs(mail(EN.encode(), "text/plain")) & {"sig:8bit_undeclared"}  # 7-bit


def test_text_of_another_script_read_as_latin_is_mojibake() -> None:
    # Without a charset, Big5 and KOI8-R bytes are read as cp1252: what a reader sees.
    assert "sig:mojibake" in signs(mail(ZH.encode("big5"), "text/plain"))
    assert "sig:mojibake" in signs(mail(RU.encode("koi8-r"), "text/plain"))
    assert "sig:mojibake" in signs(mail(JA.encode("shift_jis"), "text/plain; charset=iso-8859-1"))
    # Western text has its accents, not a page of them.
    german = "Sehr geehrte Kundin, die Bestätigung für Ihre Änderung folgt später. Grüße"
    assert "sig:mojibake" not in signs(
        mail(german.encode("latin-1"), "text/plain; charset=latin-1")
    )


def test_raw_eight_bit_headers() -> None:
    raw_subject = mail(RU.encode("utf-8"), "text/plain; charset=utf-8", "Принтер".encode())
    assert "sig:subject_raw_8bit" in signs(raw_subject)
    encoded = mail(
        RU.encode("utf-8"), "text/plain; charset=utf-8", b"=?utf-8?B?0J/RgNC40L3RgtC10YA=?="
    )
    assert "sig:subject_raw_8bit" not in signs(encoded)
    assert "sig:subject_encoded" in signs(encoded)
    raw_from = mail(EN.encode(), "text/plain").replace(b"From: Olga", "From: Ольга".encode())
    assert "sig:from_raw_8bit" in signs(raw_from)
    assert not {"sig:from_raw_8bit", "sig:subject_raw_8bit"} & signs(
        mail(EN.encode(), "text/plain")
    )


def test_a_body_in_capitals() -> None:
    shouting = (
        "DEAR FRIEND, I AM THE SON OF THE LATE PRESIDENT AND I NEED YOUR URGENT ASSISTANCE "
        "TO TRANSFER THE SUM OF TWENTY MILLION DOLLARS OUT OF THE COUNTRY, REPLY AT ONCE"
    )
    assert "sig:body_caps+" in signs(mail(shouting.encode(), "text/plain"))
    russian = "СРОЧНО! ВАШ АККАУНТ БУДЕТ ЗАБЛОКИРОВАН СЕГОДНЯ, ПОДТВЕРДИТЕ ДАННЫЕ ПО ССЫЛКЕ " * 3
    assert "sig:body_caps+" in signs(mail(russian.encode(), "text/plain; charset=utf-8"))
    # Acronyms (IT, VPN) in a normal sentence, Russian in lower case, and CJK (no case).
    for text in (EN, RU * 3, ZH):
        found = signs(mail(text.encode(), "text/plain; charset=utf-8"))
        assert not any(t.startswith("sig:body_caps") for t in found), text[:20]


def test_replies_that_answer_nothing_and_answers_sent_to_free_mail() -> None:
    first = mail(EN.encode(), "text/plain", b"Re: your invoice")
    assert "sig:reply_unthreaded" in signs(first)
    ru = mail(
        RU.encode(),
        "text/plain; charset=utf-8",
        b"=?utf-8?B?0J7RgtCy0LXRgjog0L/RgNC40L3RgtC10YA=?=",
    )  # Ответ: принтер
    assert "sig:reply_unthreaded" in signs(ru)
    answer = first.replace(b"MIME-Version", b"In-Reply-To: <x1@corp.example.com>\nMIME-Version")
    assert "sig:reply_unthreaded" not in signs(answer)  # a client's reply names its mail
    assert "sig:reply_unthreaded" not in signs(mail(EN.encode(), "text/plain", b"Printer"))
    # A forward names no mail it answers (Outlook writes neither header): a user's own.
    for forward in (b"FW: printer error", b"Fwd: VPN", b"WG: Drucker"):
        assert "sig:reply_unthreaded" not in signs(mail(EN.encode(), "text/plain", forward))
    diverted = first.replace(b"MIME-Version", b"Reply-To: <claims.agent@yahoo.co.uk>\nMIME-Version")
    assert "sig:reply_to_freemail" in signs(diverted)
    # Answers to the sender's own box, or to a company's, are no diversion.
    own = (
        b"From: Olga <olga.k@gmail.com>\nTo: desk@example.com\nSubject: Printer\n"
        b"Reply-To: olga.k@gmail.com\n\nThe printer is down\n"
    )
    assert "sig:reply_to_freemail" not in signs(own)
    team = first.replace(b"MIME-Version", b"Reply-To: team@corp.example.com\nMIME-Version")
    assert "sig:reply_to_freemail" not in signs(team)


def test_the_rare_anomalies_are_a_block_of_their_own() -> None:
    """A rare anomaly is normalized beside the others only, not among the header facts."""
    from classifier.features import ANOMALIES, hash_row

    raw = mail(ZH.encode("big5"), "text/plain; charset=us-ascii", "墨水".encode())
    blocks = tokens_of(extract(raw))
    assert {"sig:8bit_as_ascii", "sig:mojibake"} <= set(blocks.anomalies)
    assert "sig:subject_raw_8bit" in blocks.meta  # seen in a thread of the 2002 ham
    assert all(t.startswith(ANOMALIES) for t in blocks.anomalies)
    assert not any(t.startswith(ANOMALIES) for t in blocks.meta)
    assert any(t.startswith("sig:date") or t == "sig:no_received" for t in blocks.meta)
    row = hash_row(blocks)
    values = dict(zip(row.names, row.values, strict=True))
    n = len(blocks.anomalies)
    assert abs(values["sig:mojibake"] - 0.3 / n**0.5) < 1e-9  # the block's weight, its norm
