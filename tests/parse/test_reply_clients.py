"""split_reply on replies written the way real clients write them: top-, bottom- and
interleaved-posted, in Russian and English, with each client's attribution line."""

from __future__ import annotations

import pytest

from gateway.commands.parse import split_commands
from gateway.parse import split_reply

NOTE = "Пароль от сервера: Tr0ub4dor, не пересылать заявителю."
NOTICE = (
    "Alice <alice@example.com> left a hidden note on ticket HD-7 (the requester does not "
    f"see it):\n\n{NOTE}\n\n-- \nIT Support"
)


def quote(text: str) -> str:
    return "\n".join(("> " + line).rstrip() for line in text.splitlines())


ATTRIBUTIONS = {
    "mutt": "* IT Support <support@example.com> [2026-11-23 10:00 +0300]:",
    "neomutt": "On Mon, Nov 23, 2026 at 10:00:00AM +0300, IT Support wrote:",
    "s-nail": "IT Support <support+r-abc@example.com> wrote:",
    "thunderbird_ru": "23.11.2026 10:00, IT Support пишет:",
    "thunderbird_en": "On 11/23/26 10:00, IT Support wrote:",
    "gmail_en": "On Mon, Nov 23, 2026 at 10:00 AM IT Support <support@example.com> wrote:",
    "gmail_ru": "пн, 23 нояб. 2026 г. в 10:00, IT Support <support@example.com>:",
    "apple_en": "On 23 Nov 2026, at 10:00, IT Support <support@example.com> wrote:",
    "apple_ru": "23 нояб. 2026 г., в 10:00, IT Support <support@example.com> написал(а):",
    "yandex": '23.11.2026, 10:00, "IT Support" <support@xn--e1afmkfd.xn--p1ai>:',
    "thunderbird_de": "Am 23.11.26 um 10:00 schrieb IT Support:",
    "french": "Le 23 nov. 2026 à 10:00, IT Support <support@example.fr> a écrit :",
    "spanish": "El lun, 23 nov 2026 a las 10:00, IT Support (<support@example.es>) escribió:",
}
ANSWERS = ["Спасибо, всё работает", "The printer prints again after the driver update.\nBob"]


@pytest.mark.parametrize("client", sorted(ATTRIBUTIONS))
@pytest.mark.parametrize("answer", ANSWERS)
def test_bottom_posted_keeps_only_the_answer(client: str, answer: str) -> None:
    text = f"{ATTRIBUTIONS[client]}\n{quote(NOTICE)}\n\n{answer}\n"
    parts = split_reply(text)
    assert parts.body == answer
    assert NOTE not in parts.body and NOTE in parts.quoted


@pytest.mark.parametrize("client", sorted(ATTRIBUTIONS))
def test_top_posted_keeps_only_the_answer(client: str) -> None:
    text = f"Готово, перезагрузил.\n\n{ATTRIBUTIONS[client]}\n{quote(NOTICE)}\n"
    parts = split_reply(text)
    assert parts.body == "Готово, перезагрузил."
    assert NOTE in parts.quoted


@pytest.mark.parametrize(
    "block",
    [
        "-----Original Message-----\nFrom: IT Support [mailto:support@example.com]\n"
        "Sent: Monday, November 23, 2026 10:00 AM\nTo: Bob\nSubject: RE: [HD-7] printer",
        "-----Исходное сообщение-----\nОт: IT Support <support@example.com>\n"
        "Отправлено: 23 ноября 2026 г. 10:00\nКому: Боб\nТема: RE: [HD-7] принтер",
        "________________________________\nVon: IT Support <support@example.com>\n"
        "Gesendet: Montag, 23. November 2026 10:00\nAn: Bob\nBetreff: AW: [HD-7] Drucker",
        "________________________________\nFrom: IT Support <support@example.com>\n"
        "Sent: Monday, November 23, 2026 10:00\nTo: Bob\nSubject: RE: [HD-7] printer",
    ],
)
def test_outlook_blocks(block: str) -> None:
    # Outlook does not quote with ">": everything below its header block is history.
    parts = split_reply(f"Done, restarted.\n\nRegards, Bob\n\n{block}\n\n{NOTICE}\n")
    assert parts.body == "Done, restarted.\n\nRegards, Bob"
    assert NOTE in parts.quoted


def test_reply_marker_drops_everything_below() -> None:
    text = f"Answer on top.\n\n##- Please type your reply above this line -##\n\n{NOTICE}\n"
    assert split_reply(text).body == "Answer on top."
    ru = f"Ответ.\n##- Пожалуйста, напишите ответ выше этой строки -##\n{NOTICE}\n"
    assert split_reply(ru).body == "Ответ."


def test_bottom_posted_note_command_is_a_command() -> None:
    text = f"{ATTRIBUTIONS['mutt']}\n{quote(NOTICE)}\n\n#note\nВнутреннее: жду поставщика.\n"
    commands, rest = split_commands(split_reply(text).body)
    assert [c.name for c in commands] == ["note"]
    assert rest == "Внутреннее: жду поставщика."


def test_interleaved_commands_come_after_the_leading_quote() -> None:
    text = (
        f"{ATTRIBUTIONS['neomutt']}\n> Which floor?\n\n#note\nThird floor, room 301.\n\n"
        "> And the model?\nHP LaserJet 4000.\n"
    )
    parts = split_reply(text)
    assert "> And the model?" in parts.body  # interleaved: answers stay with their quotes
    commands, rest = split_commands(parts.body)
    assert [c.name for c in commands] == ["note"]
    assert rest.startswith("Third floor")


def test_interleaved_answers_stay_whole() -> None:
    text = "> question one?\nanswer one\n\n> question two?\nanswer two\n"
    parts = split_reply(text)
    assert "answer one" in parts.body and "answer two" in parts.body


def test_bottom_posted_with_signature() -> None:
    text = f"{ATTRIBUTIONS['s-nail']}\n{quote(NOTICE)}\n\nWorks now.\n\n-- \nBob, room 301\n"
    parts = split_reply(text)
    assert (parts.body, parts.signature) == ("Works now.", "-- \nBob, room 301")


def test_text_that_mentions_writing_is_not_history() -> None:
    text = "Here is what the vendor wrote:\nthe part ships on Monday.\n\nBob"
    assert split_reply(text).body == text
