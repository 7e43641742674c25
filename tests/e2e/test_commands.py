"""Agents steer tickets by replying, over real SMTP: commands, authentication, receipts,
hidden notes, requester #close with ratings by mailto link, and #my."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest

from tests.harness import Daemon, mail, text_of

EXTRA = """
[[categories]]
name = "printers"
addresses = ["printers@example.com"]
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("commands"), EXTRA).start()
    yield d
    d.close()


def subject(msg: Message) -> str:
    return str(make_header(decode_header(str(msg["Subject"]))))


def reply(msg: Message, sender: str, body: str, **headers: str) -> bytes:
    """A reply as a mail client makes it: to Reply-To, threaded, quoting the original."""
    quoted = "\n".join("> " + line for line in text_of(msg).splitlines())
    text = f"{body}\n\nOn Mon, 23 Nov 2026 at 10:00, IT Support wrote:\n{quoted}\n"
    return mail(
        "Re: " + subject(msg),
        text,
        sender=sender,
        to=str(msg["Reply-To"]),
        In_Reply_To=str(msg["Message-ID"]),
        References=str(msg["Message-ID"]),
        **headers,
    ).as_bytes()


def show(daemon: Daemon, ticket_id: int) -> dict[str, Any]:
    result = daemon.cli("tickets", "show", str(ticket_id), "--history", "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


class Desk:
    """One requester's ticket and the admin's notice about it."""

    def __init__(self, daemon: Daemon, requester: str, title: str) -> None:
        self.d = daemon
        self.requester = requester
        before = len(daemon.outgoing_to("alice@example.com"))
        assert daemon.send(mail(title, "Подробности проблемы.", sender=requester))[0] == 250
        daemon.settle()
        self.notice = daemon.outgoing_to("alice@example.com")[before]
        self.tag = re.search(r"\[(HD-\d+)\]", subject(self.notice)).group(1)  # type: ignore[union-attr]
        self.id = int(self.tag.split("-")[1])
        [self.confirmation] = [
            m for m in daemon.outgoing_to(requester) if f"[{self.tag}]" in subject(m)
        ]

    def agent_says(
        self,
        body: str,
        sender: str = "Alice <alice@example.com>",
        to: Message | None = None,
        **headers: str,
    ) -> None:
        assert self.d.send(reply(to or self.notice, sender, body, **headers))[0] == 250
        self.d.settle()

    def to_requester(self) -> list[Message]:
        return self.d.outgoing_to(self.requester)

    def receipts(self, agent: str = "alice@example.com") -> list[Message]:
        return [
            m
            for m in self.d.outgoing_to(agent)
            if "Команды" in subject(m) and f"[{self.tag}]" in subject(m)
        ]


def test_commands_apply_and_are_receipted(daemon: Daemon) -> None:
    t = Desk(daemon, "kate@corp.example.org", "Не печатает принтер")
    t.agent_says(
        "#assign bob@example.com\n#priority high\n#category printers\n"
        "#status in_progress\n#cc boss@corp.example.org"
    )
    data = show(daemon, t.id)
    assert data["assignee"] == "bob@example.com"
    assert (data["criticality"], data["category"]) == ("high", "printers")
    assert data["status"] == "in_progress"
    assert "boss@corp.example.org" in data["participants"]
    assert data["message_count"] == 1  # a mail with only commands adds no message
    kinds = [e["kind"] for e in data["events"]]
    assert {"assignee", "criticality", "category", "status"} <= set(kinds)
    [receipt] = t.receipts()
    assert "выполнены" in subject(receipt) and "#assign bob@example.com" in text_of(receipt)
    assert "не выполнены" not in subject(receipt)

    t.agent_says("#uncc boss@corp.example.org\n#canned need-details")
    data = show(daemon, t.id)
    assert "boss@corp.example.org" not in data["participants"]
    answer = t.to_requester()[-1]
    assert "номер кабинета" in text_of(answer) and t.tag in text_of(answer)


def test_note_reaches_agents_only(daemon: Daemon) -> None:
    t = Desk(daemon, "lena@corp.example.org", "Медленный интернет")
    t.agent_says("#take")
    to_requester = len(t.to_requester())
    bob_before = len(daemon.outgoing_to("bob@example.com"))
    t.agent_says("#note\nПохоже на проблему провайдера, звонил им.")
    assert len(t.to_requester()) == to_requester
    notes = daemon.outgoing_to("bob@example.com")[bob_before:]
    assert any("провайдера" in text_of(m) for m in notes)
    data = show(daemon, t.id)
    note = data["messages"][-1]
    assert note["hidden"] is True and "провайдера" in note["body"]
    # The ticket counts its public messages as they are stored, the note not (reports).
    public = sum(1 for m in data["messages"] if not m["hidden"])
    [ticket] = [x for x in daemon.tickets() if x.id == t.id]
    assert public >= 1 and ticket.public_messages == public


def test_unknown_command_changes_nothing_and_is_explained(daemon: Daemon) -> None:
    t = Desk(daemon, "max@corp.example.org", "Нет звука")
    before = show(daemon, t.id)
    t.agent_says("#assign bob@example.com\n#frobnicate\nТекст ответа заявителю.")
    after = show(daemon, t.id)
    assert after["assignee"] is None and after["message_count"] == before["message_count"]
    assert len(t.to_requester()) == 1  # only the confirmation: the answer was held back
    [receipt] = t.receipts()
    body = text_of(receipt)
    assert "не выполнены" in subject(receipt)
    assert "#frobnicate" in body and "#note" in body  # why, and the known commands
    assert "Текст ответа заявителю." in body  # to send again
    t.agent_says("#status no-such-status")
    assert show(daemon, t.id)["status"] == before["status"]
    assert "no-such-status" in text_of(t.receipts()[-1])


def test_forged_from_executes_nothing(daemon: Daemon) -> None:
    t = Desk(daemon, "igor@corp.example.org", "Не работает VPN")
    forged = mail(
        f"Re: [{t.tag}] Не работает VPN",
        "#close\nВсё, закрываю.",
        sender="Alice <alice@example.com>",
        to="support@example.com",
    )
    assert daemon.send(forged.as_bytes())[0] == 250
    daemon.settle()
    data = show(daemon, t.id)
    assert data["closed"] is False
    assert len(t.to_requester()) == 1
    note = data["messages"][-1]
    assert note["hidden"] is True and note["kind"] == "unauthenticated"
    receipt = [m for m in daemon.outgoing_to("alice@example.com") if "не выполнены" in subject(m)][
        -1
    ]
    assert "signed" in text_of(receipt) or "подписан" in text_of(receipt)


def test_commands_in_quoted_text_are_ignored(daemon: Daemon) -> None:
    t = Desk(daemon, "oleg2@corp.example.org", "Сломалась клавиатура")
    quoted_commands = mail(
        f"Re: [{t.tag}] Сломалась клавиатура",
        "Заменим сегодня.\n\nOn Mon, Bob wrote:\n> #close\n> #spam\n",
        sender="Alice <alice@example.com>",
        to=str(t.notice["Reply-To"]),
        In_Reply_To=str(t.notice["Message-ID"]),
    )
    daemon.send(quoted_commands.as_bytes())
    daemon.settle()
    data = show(daemon, t.id)
    assert data["closed"] is False and data["status"] != "spam"
    assert "Заменим сегодня." in text_of(t.to_requester()[-1])


def test_requester_cannot_use_agent_commands(daemon: Daemon) -> None:
    t = Desk(daemon, "vera@corp.example.org", "Нужен доступ к папке")
    assert (
        daemon.send(
            reply(
                t.confirmation,
                "vera@corp.example.org",
                "#assign vera@corp.example.org\n#priority high\nСрочно!",
            )
        )[0]
        == 250
    )
    daemon.settle()
    data = show(daemon, t.id)
    assert data["assignee"] is None and data["criticality"] != "high"
    assert "Срочно!" in data["messages"][-1]["body"]


def test_requester_closes_and_rates_by_mailto(daemon: Daemon) -> None:
    t = Desk(daemon, "pavel@corp.example.org", "Не открывается Excel")
    assert (
        daemon.send(
            reply(t.confirmation, "pavel@corp.example.org", "#close\nРазобрался сам, спасибо.")
        )[0]
        == 250
    )
    daemon.settle()
    data = show(daemon, t.id)
    assert data["closed"] is True
    [closing] = [m for m in t.to_requester() if "закрыта" in subject(m)]
    links = re.findall(r'href="(mailto:[^"]+)"', closing.get_body(("html",)).get_content())  # type: ignore[attr-defined]
    assert len(links) >= 2
    target = urllib.parse.urlparse(links[0])
    address = target.path
    rating_subject = urllib.parse.parse_qs(target.query)["subject"][0]
    rate = mail(rating_subject, "Быстро и понятно.", sender="pavel@corp.example.org", to=address)
    assert daemon.send(rate.as_bytes(), rcpt=[address])[0] == 250
    daemon.settle()
    events = show(daemon, t.id)["events"]
    rated = [e for e in events if e["kind"] == "rating"]
    assert rated and "Быстро и понятно." in json.dumps(rated, ensure_ascii=False)
    # The report groups the ticket by the grade just given (kept on the ticket).
    [grade] = show(daemon, t.id)["ratings"]
    result = daemon.cli("report", "--by", "rating", "--format", "json")
    assert result.exit_code == 0, result.output
    groups = {g["key"]: g for g in json.loads(result.output)["groups"]}
    assert groups[grade["label"]]["closed"] == 1, groups


def test_my_lists_the_senders_tickets(daemon: Daemon) -> None:
    Desk(daemon, "sasha@corp.example.org", "Принтер в 204")
    Desk(daemon, "sasha@corp.example.org", "Монитор мерцает")
    tickets_before = len(daemon.tickets())
    daemon.send(mail("мои заявки", "#my", sender="sasha@corp.example.org"))
    daemon.settle()
    answer = daemon.outgoing_to("sasha@corp.example.org")[-1]
    body = text_of(answer)
    assert "Принтер в 204" in body and "Монитор мерцает" in body
    assert len(daemon.tickets()) == tickets_before  # a question, not a ticket
    daemon.send(
        mail("x", "", sender="sasha@corp.example.org", to="support+my@example.com"),
        rcpt=["support+my@example.com"],
    )
    daemon.send(mail("x", "#my принтер", sender="sasha@corp.example.org"))
    daemon.settle()
    filtered = text_of(daemon.outgoing_to("sasha@corp.example.org")[-1])
    assert "Принтер в 204" in filtered and "Монитор мерцает" not in filtered
    assert len(daemon.tickets()) == tickets_before


def test_trusted_authentication_results_are_required_when_configured(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    extra = '[security]\ntrusted_authserv_id = "mx.example.com"\n'
    strict = Daemon(tmp_path_factory.mktemp("strict"), extra).start()
    try:
        t = Desk(strict, "nick@corp.example.org", "Не работает почта")
        failing = "mx.example.com; dkim=fail header.d=example.com; spf=softfail"
        t.agent_says("#priority high", Authentication_Results=failing)
        assert show(strict, t.id)["criticality"] != "high"
        refusal = text_of(t.receipts()[-1])
        assert "mx.example.com" in refusal
        # A forged pass from another server does not count either.
        t.agent_says(
            "#priority high", Authentication_Results="evil.example; dkim=pass header.d=example.com"
        )
        assert show(strict, t.id)["criticality"] != "high"
        passing = "mx.example.com; dkim=pass header.d=example.com header.s=s1"
        t.agent_says("#priority high", Authentication_Results=passing)
        assert show(strict, t.id)["criticality"] == "high"
    finally:
        strict.close()
