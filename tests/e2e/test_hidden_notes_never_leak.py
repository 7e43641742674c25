"""Over real SMTP: whatever client an agent uses (mutt, s-nail, Thunderbird, Outlook, Gmail,
Apple Mail; top-, bottom- or interleaved-posted; Russian and English), a hidden note never
reaches the requester; answers are threaded under the requester's own mail and name no
hidden Message-ID; a `#note` below the quote is a note; a held answer is told and released."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from email.header import decode_header, make_header
from email.message import Message

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.model import Outbox
from tests.harness import Daemon, mail, text_of

NOTE = "Пароль от роутера Zx81-секрет, поставщик просит не говорить клиенту о сроках."


def subject(msg: Message) -> str:
    return str(make_header(decode_header(str(msg["Subject"]))))


def quote(text: str) -> str:
    return "\n".join(("> " + line).rstrip() for line in text.splitlines())


def outlook_block(msg: Message) -> str:
    return (
        "________________________________\nОт: IT Support <support@example.com>\n"
        "Отправлено: 23 ноября 2026 г. 10:00\nКому: Bob\n"
        f"Тема: {subject(msg)}\n\n{text_of(msg)}"
    )


# How each client lays out a reply: (answer, original message) -> body.
Style = Callable[[str, Message], str]
STYLES: dict[str, Style] = {
    "mutt_bottom": lambda a, m: (
        f"* IT Support <support@example.com> [2026-11-23 10:00 +0300]:\n"
        f"{quote(text_of(m))}\n\n{a}\n"
    ),
    "s-nail_bottom": lambda a, m: (
        f"IT Support <support@example.com> wrote:\n\n{quote(text_of(m))}\n\n{a}\n"
    ),
    "thunderbird_bottom_ru": lambda a, m: (
        f"23.11.2026 10:00, IT Support пишет:\n{quote(text_of(m))}\n\n{a}\n\n-- \nБоб\n"
    ),
    "thunderbird_top_en": lambda a, m: (
        f"{a}\n\nOn 11/23/26 10:00, IT Support wrote:\n{quote(text_of(m))}\n"
    ),
    "outlook_ru": lambda a, m: f"{a}\n\n{outlook_block(m)}\n",
    "gmail_ru": lambda a, m: (
        f"{a}\n\nпн, 23 нояб. 2026 г. в 10:00, IT Support <support@example.com>:\n\n"
        f"{quote(text_of(m))}\n"
    ),
    "apple_en": lambda a, m: (
        f"{a}\n\nOn 23 Nov 2026, at 10:00, IT Support <support@example.com> wrote:\n\n"
        f"{quote(text_of(m))}\n"
    ),
    "interleaved": lambda a, m: (
        "On Mon, Nov 23, 2026 at 10:00 AM IT Support <support@example.com> wrote:\n"
        + "\n".join(
            ("> " + line).rstrip() + (f"\n\n{a}\n" if i == 2 else "")
            for i, line in enumerate(text_of(m).splitlines())
        )
        + "\n"
    ),
}


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("disclosure")).start()
    yield d
    d.close()


class Ticket:
    def __init__(self, daemon: Daemon, requester: str) -> None:
        self.d, self.requester = daemon, requester
        before = len(daemon.outgoing_to("alice@example.com"))
        self.opening = mail("Не печатает принтер", "Принтер в 301 не печатает.", sender=requester)
        assert daemon.send(self.opening.as_bytes())[0] == 250
        daemon.settle()
        self.notice = daemon.outgoing_to("alice@example.com")[before]
        self.tag = re.search(r"\[(HD-\d+)\]", subject(self.notice)).group(1)  # type: ignore[union-attr]

    def reply(self, to: Message, sender: str, body: str) -> str:
        msg = mail(
            "Re: " + subject(to),
            body,
            sender=sender,
            to=str(to["Reply-To"]),
            In_Reply_To=str(to["Message-ID"]),
            References=str(to["Message-ID"]),
        )
        assert self.d.send(msg.as_bytes())[0] == 250
        self.d.settle()
        return str(msg["Message-ID"])

    def to(self, address: str) -> list[Message]:
        return [m for m in self.d.outgoing_to(address) if f"[{self.tag}]" in subject(m)]


def held_for(s: Session, requester: str) -> list[Outbox]:
    rows = s.scalars(select(Outbox).where(Outbox.state == "held")).all()
    return [r for r in rows if requester in r.rcpt_to]


def leaked(msgs: list[Message]) -> bool:
    return any("Zx81" in text_of(m) or "скрытую заметку" in text_of(m) for m in msgs)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_no_client_style_leaks_a_hidden_note(daemon: Daemon, style: str) -> None:
    layout = STYLES[style]
    t = Ticket(daemon, f"req-{style.replace('_', '-')}@corp.example.org")
    # Alice's note, in this client's layout: a #note below the quote is a command too.
    note_id = t.reply(t.notice, "Alice <alice@example.com>", layout(f"#note\n{NOTE}", t.notice))
    [confirmation] = t.to(t.requester)
    assert not leaked(t.to(t.requester))
    [note_notice] = [m for m in t.to("bob@example.com") if "Zx81" in text_of(m)]
    assert "Precedence" not in note_notice and note_notice["Auto-Submitted"] == "auto-generated"
    assert text_of(note_notice).startswith("##- ")

    # Alice answers the new-ticket notice: only her answer goes out, threaded under the
    # requester's mail, naming no hidden Message-ID.
    answer_text = "Принтер починили, проверьте, пожалуйста."
    agent_mail_id = t.reply(t.notice, "Alice <alice@example.com>", layout(answer_text, t.notice))
    [_, answer] = t.to(t.requester)
    assert not leaked([answer])
    assert answer_text in text_of(answer)
    if style != "interleaved":  # an interleaved answer keeps its quotes of the notice
        assert "Принтер в 301" not in text_of(answer).split(answer_text)[0]
    assert str(answer["In-Reply-To"]) == str(t.opening["Message-ID"])
    refs = str(answer["References"])
    for private in (note_id, agent_mail_id, note_notice["Message-ID"], t.notice["Message-ID"]):
        assert str(private) not in refs
    assert str(confirmation["Message-ID"]) in refs and "Precedence" not in answer

    # Bob answers the note's notice in the same client: held, and Bob is told.
    t.reply(note_notice, "Bob <bob@example.com>", layout("Заменили картридж.", note_notice))
    assert len(t.to(t.requester)) == 2 and not leaked(t.to(t.requester))
    [held_notice] = [m for m in t.to("bob@example.com") if "задержан" in subject(m)]
    assert "#send" in text_of(held_notice)
    with daemon.db.read() as s:
        [held] = held_for(s, t.requester)
        assert "hidden note" in held.last_reply

    # Bob's #send releases the held answer, as written (its quote stays cut).
    t.reply(held_notice, "Bob <bob@example.com>", "#send")
    released = t.to(t.requester)[-1]
    assert "Заменили картридж." in text_of(released)
    assert "Zx81" not in text_of(released).split("Заменили картридж.")[0]


def test_an_answer_that_pastes_a_note_is_held(daemon: Daemon) -> None:
    t = Ticket(daemon, "paste@corp.example.org")
    t.reply(t.notice, "Alice <alice@example.com>", f"#note\n{NOTE}")
    t.reply(t.notice, "Alice <alice@example.com>", f"Добрый день!\n\n{NOTE.upper()}\n")
    assert len(t.to(t.requester)) == 1  # the confirmation only
    [told] = [m for m in t.to("alice@example.com") if "задержан" in subject(m)]
    assert "hidden note" in text_of(told)
    result = daemon.cli("outbox", "list", "--state", "held", "--format", "json")
    assert t.requester in result.output
    with daemon.db.read() as s:
        [row] = held_for(s, t.requester)
    assert daemon.cli("outbox", "release", str(row.id)).exit_code == 0
    daemon.settle()
    assert len(t.to(t.requester)) == 2
    again = daemon.cli("outbox", "release", str(row.id))
    assert again.exit_code != 0 and "not held" in again.output


def test_send_with_nothing_held_is_refused(daemon: Daemon) -> None:
    t = Ticket(daemon, "nothing-held@corp.example.org")
    t.reply(t.notice, "Alice <alice@example.com>", "#send")
    receipt = t.to("alice@example.com")[-1]
    assert "no held answer" in text_of(receipt)


@pytest.mark.parametrize(
    "layout",
    [
        "IT Support <support+r@example.com> wrote:\n{quote}\n\nСпасибо, всё работает\n",
        "23.11.2026 10:00, IT Support пишет:\n{quote}\n\nСпасибо, всё работает!\nИван\n",
        "Thanks, it works now.\n\nOn Mon, Nov 23, 2026 at 10:00 AM IT Support wrote:\n{quote}\n",
    ],
)
def test_bottom_posted_thanks_on_a_closed_ticket_stays_closed(daemon: Daemon, layout: str) -> None:
    t = Ticket(daemon, f"thanks-{len(daemon.tickets())}@corp.example.org")
    t.reply(t.notice, "Alice <alice@example.com>", "#close Заменили картридж.")
    closing = t.to(t.requester)[-1]
    body = layout.format(quote=quote(text_of(closing)))
    t.reply(closing, t.requester, body)
    result = daemon.cli("tickets", "show", t.tag.split("-")[1], "--history", "--format", "json")
    data = json.loads(result.output)
    assert data["closed"] is True, data
    stored = data["messages"][-1]["body"]
    assert stored.startswith(("Спасибо", "Thanks")) and "Заменили" not in stored
