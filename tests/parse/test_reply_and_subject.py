"""split_reply and strip_subject_prefixes."""

from __future__ import annotations

import pytest

from gateway.parse import split_reply, strip_subject_prefixes


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: AW: Fwd: [ext] Отв: тема", "тема"),
        ("RE:RE: hello", "hello"),
        ("Re[3]: x", "x"),
        ("Re(2): x", "x"),
        ("Fwd[2]: x", "x"),
        ("回复：转发: 你好", "你好"),
        ("答复: 返信: 転送: テスト", "テスト"),
        ("İLT: YNT: konu", "konu"),
        ("Ответ: Пересл: Переслано: тема", "тема"),
        ("SV: VS: WG: TR: RV: RIF: ENC: Antw: Doorst: Odp: PD: x", "x"),
        ("re:fw:FW:  Printer", "Printer"),
        ("Re: [HD-12] Re: тема", "[HD-12] тема"),
        ("[HD-5] Printer", "[HD-5] Printer"),
        ("[ext] тема", "[ext] тема"),
        ("Reply needed", "Reply needed"),
        ("Re：全角", "全角"),
    ],
)
def test_strip_subject_prefixes(subject: str, expected: str) -> None:
    assert strip_subject_prefixes(subject) == expected


def test_plain_mail_is_all_body() -> None:
    parts = split_reply("Hello,\n\nthe printer is broken.\n")
    assert (parts.body, parts.quoted, parts.signature) == (
        "Hello,\n\nthe printer is broken.",
        "",
        "",
    )


def test_gmail_english() -> None:
    parts = split_reply(
        "Thanks, works now.\n\nOn Mon, Mar 2, 2020 at 10:00 AM Support <support@example.com>\n"
        "wrote:\n\n> Please restart.\n> \n"
    )
    assert parts.body == "Thanks, works now."
    assert parts.quoted.startswith("On Mon, Mar 2, 2020")


def test_outlook_english_header_block() -> None:
    parts = split_reply(
        "Still broken.\n\n________________________________\nFrom: Support <s@example.com>\n"
        "Sent: Monday, March 2, 2020 10:00 AM\nTo: Bob\nSubject: RE: printer\n\nOld text\n"
    )
    assert parts.body == "Still broken."
    assert parts.quoted.startswith("______")


def test_outlook_russian() -> None:
    parts = split_reply(
        "Проблема осталась.\n\nС уважением,\nИван\n\n-----Исходное сообщение-----\n"
        "От: Support [mailto:support@example.com]\nОтправлено: 2 марта 2020 г. 10:00\n"
        "Кому: Иван\nТема: RE: принтер\n\nПерезагрузите.\n"
    )
    assert parts.body == "Проблема осталась.\n\nС уважением,\nИван"
    assert "Перезагрузите" in parts.quoted


def test_outlook_russian_without_separator() -> None:
    parts = split_reply(
        "Спасибо!\n\nОт: Support <support@example.com>\nОтправлено: 2 марта 2020 г.\n"
        "Кому: ivan@example.com\nТема: принтер\n\nстарое\n"
    )
    assert parts.body == "Спасибо!"


def test_gmail_russian() -> None:
    parts = split_reply(
        "Работает.\n\nпн, 2 мар. 2020 г. в 10:00, Support <support@example.com>:\n\n> Старое\n"
    )
    assert parts.body == "Работает."
    assert parts.quoted.endswith("> Старое")


def test_yandex_and_mailru() -> None:
    yandex = split_reply('Ок.\n\n02.03.2020, 10:00, "Support" <support@example.com>:\n> x\n')
    assert yandex.body == "Ок."
    mailru = split_reply(
        "Да.\n\nПонедельник, 2 марта 2020, 10:00 +03:00 от Support <support@example.com>:\n> x\n"
    )
    assert mailru.body == "Да."


@pytest.mark.parametrize(
    "header",
    [
        "Иван Петров пишет:",
        "2 марта 2020 г., в 10:00, Иван написал(а):",
        "Am 02.03.2020 um 10:00 schrieb Hans Muster <h@example.de>:",
        "Le 2 mars 2020 à 10:00, Jean <j@example.fr> a écrit :",
    ],
)
def test_attribution_languages(header: str) -> None:
    parts = split_reply(f"Neu.\n\n{header}\n> alt\n")
    assert parts.body == "Neu."
    assert parts.quoted.startswith(header)


def test_signature_and_mobile_lines() -> None:
    assert split_reply("Text\n\n-- \nBob\nIT").signature == "-- \nBob\nIT"
    assert split_reply("Text\n\nSent from my iPhone").signature == "Sent from my iPhone"
    assert split_reply("Текст\n\nОтправлено с iPhone").signature == "Отправлено с iPhone"
    sent = "Text\n\nSent from my desk, is much easier than my mobile phone."
    assert split_reply(sent).body == sent


def test_empty_top_post_keeps_text() -> None:
    text = "On Mon, Mar 2, 2020 at 10:00 AM Bob <b@example.com> wrote:\n> old"
    parts = split_reply(text)
    assert parts.body == text and parts.quoted == ""


def test_inline_reply_keeps_answers_in_body() -> None:
    text = "> question one?\nanswer one\n\n> question two?\nanswer two\n"
    assert "answer two" in split_reply(text).body
