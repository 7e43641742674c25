"""End to end over real SMTP: a Russian request, the confirmation, the agent's answer by reply,
the requester's reply threading, a stranger with a copied tag, auto-replies, duplicates."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

import pytest

from gateway.store.model import Inbound
from tests.harness import Daemon, mail, text_of


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("conversation")).start()
    yield d
    d.close()


def header(msg: Message, name: str) -> str:
    return str(make_header(decode_header(str(msg[name]))))


def reply_to(msg: Message, sender: str, body: str, quote: bool = True) -> bytes:
    """A reply from `sender` as a mail client makes it: to Reply-To, threaded, quoting."""
    quoted = "\n".join("> " + line for line in text_of(msg).splitlines())
    text = f"{body}\n\n" + (
        f"On Mon, 23 Nov 2026 at 10:00, IT Support wrote:\n{quoted}\n" if quote else ""
    )
    reply = mail(
        "Re: " + header(msg, "Subject"),
        text,
        sender=sender,
        to=str(msg["Reply-To"]),
        In_Reply_To=str(msg["Message-ID"]),
        References=str(msg["Message-ID"]),
    )
    return reply.as_bytes()


def tickets_json(daemon: Daemon, *args: str) -> list[dict[str, object]]:
    result = daemon.cli("tickets", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, list)
    return data


def test_russian_request_is_confirmed_and_answered(daemon: Daemon) -> None:
    before = len(daemon.outgoing())
    code, _ = daemon.send(
        mail("Не работает принтер на 3 этаже", "Принтер HP в 312 не печатает.\nСпасибо,\nИван")
    )
    assert code == 250
    daemon.settle()
    [ticket] = tickets_json(daemon, "--requester", "ivan@corp.example.org")
    assert ticket["subject"] == "Не работает принтер на 3 этаже"
    assert ticket["status"] == "new" and ticket["indicator"] == "green"
    tag = ticket["tag"]
    new = daemon.outgoing()[before:]
    confirmation = [m for m in new if "ivan@corp.example.org" in str(m["To"])]
    assert len(confirmation) == 1
    conf = confirmation[0]
    assert f"[{tag}]" in header(conf, "Subject")
    assert "Не работает принтер" in header(conf, "Subject")
    assert conf["Auto-Submitted"] == "auto-replied"
    assert re.search(r"<support\+[a-z0-9-]+@example\.com>$", str(conf["Reply-To"]))
    head = conf.as_string().split("\n\n", 1)[0]
    raw_subject = head.split("Subject:", 1)[1].split("\n", 1)[0]
    assert head.isascii() and "=?utf-8?" in head.lower()  # RFC 2047 on the wire
    assert raw_subject.startswith(" [HD-")
    # Nobody is assigned, so the admin (not every agent) is told, with a reply address
    # of her own.
    notices = [m for m in new if "example.com" in str(m["To"]) and "ivan" not in str(m["To"])]
    assert [str(m["To"]) for m in notices] == ["Alice <alice@example.com>"]
    assert str(notices[0]["Reply-To"]) != str(conf["Reply-To"])
    assert "Принтер HP в 312 не печатает." in text_of(notices[0])

    # Alice answers by replying to her notice; the requester gets the answer without quotes.
    alice_notice = notices[0]
    code, _ = daemon.send(
        reply_to(
            alice_notice, "Alice <alice@example.com>", "Заменили картридж, проверьте, пожалуйста."
        )
    )
    assert code == 250
    daemon.settle()
    answers = [
        m for m in daemon.outgoing_to("ivan@corp.example.org") if "Заменили картридж" in text_of(m)
    ]
    assert len(answers) == 1
    answer = answers[0]
    assert "Принтер HP в 312 не печатает" not in text_of(answer)  # no quoted history
    assert "wrote:" not in text_of(answer)
    assert answer["Auto-Submitted"] is None  # a person's answer, relayed
    assert str(answer["In-Reply-To"]) and str(conf["Message-ID"]) in str(answer["References"])
    [ticket] = tickets_json(daemon, "--id", str(ticket["id"]))
    assert ticket["indicator"] == "red" and ticket["messages"] == 2

    # The requester replies to the answer: same ticket, the admin hears of it (nobody is assigned).
    notices_before = len(daemon.outgoing_to("alice@example.com"))
    code, _ = daemon.send(
        reply_to(answer, "Иван Петров <ivan@corp.example.org>", "Теперь работает, спасибо!")
    )
    assert code == 250
    daemon.settle()
    [ticket] = tickets_json(daemon, "--id", str(ticket["id"]))
    assert ticket["messages"] == 3 and ticket["indicator"] == "green"
    alice = daemon.outgoing_to("alice@example.com")
    assert len(alice) == notices_before + 1
    assert "Теперь работает" in text_of(alice[-1])
    assert len(tickets_json(daemon, "--requester", "ivan@corp.example.org")) == 1


def test_stranger_with_copied_tag_gets_a_new_ticket(daemon: Daemon) -> None:
    daemon.send(mail("VPN не подключается", "Ошибка 809", sender="olga@corp.example.org"))
    daemon.settle()
    [olga] = tickets_json(daemon, "--requester", "olga@corp.example.org")
    code, _ = daemon.send(
        mail(
            f"Re: [{olga['tag']}] VPN не подключается",
            "Мне тоже покажите",
            sender="mallory@evil.example.net",
        )
    )
    assert code == 250
    daemon.settle()
    [mallory] = tickets_json(daemon, "--requester", "mallory@evil.example.net")
    assert mallory["id"] != olga["id"]
    [olga_after] = tickets_json(daemon, "--id", str(olga["id"]))
    assert olga_after["messages"] == 1
    # The requester herself may use the tag from a fresh mail.
    daemon.send(mail(f"[{olga['tag']}] ещё вопрос", "И ещё одно", sender="olga@corp.example.org"))
    daemon.settle()
    [olga_after] = tickets_json(daemon, "--id", str(olga["id"]))
    assert olga_after["messages"] == 2


def test_auto_reply_is_stored_but_never_answered(daemon: Daemon) -> None:
    daemon.send(mail("Монитор мигает", "Мигает монитор", sender="petr@corp.example.org"))
    daemon.settle()
    [conf] = daemon.outgoing_to("petr@corp.example.org")
    out_before = len(daemon.outgoing())
    vacation = mail(
        "Автоответ: " + header(conf, "Subject"),
        "Я в отпуске до понедельника.",
        sender="petr@corp.example.org",
        to=str(conf["Reply-To"]),
        In_Reply_To=str(conf["Message-ID"]),
        Auto_Submitted="auto-replied",
    )
    assert daemon.send(vacation)[0] == 250
    daemon.settle()
    assert len(daemon.outgoing()) == out_before  # nothing to anyone
    [ticket] = tickets_json(daemon, "--requester", "petr@corp.example.org")
    assert ticket["messages"] == 2 and ticket["status"] == "new"
    shown = json.loads(daemon.cli("tickets", "show", str(ticket["id"]), "--format", "json").output)
    assert shown["messages"][1]["hidden"] is True


def test_same_message_twice_is_one_ticket(daemon: Daemon) -> None:
    msg = mail("Нет доступа к 1С", "Не пускает в базу", sender="anna@corp.example.org")
    assert daemon.send(msg)[0] == 250
    assert daemon.send(msg, rcpt=["printers@example.com"])[0] == 250
    daemon.settle()
    assert len(tickets_json(daemon, "--requester", "anna@corp.example.org")) == 1
    assert len(daemon.outgoing_to("anna@corp.example.org")) == 1
    assert daemon.count(Inbound, Inbound.state == "duplicate") >= 1


def test_unknown_recipient_gets_550(daemon: Daemon) -> None:
    code, text = daemon.send(
        mail("x", "y", sender="tester@corp.example.org"), rcpt=["nobody@example.com"]
    )
    assert code == 550 and b"5.1.1" in text
    code, _ = daemon.send(
        mail("x", "y", sender="tester@corp.example.org"), rcpt=["support+anything@EXAMPLE.com"]
    )
    assert code == 250


def test_oversized_mail_gets_552(daemon: Daemon) -> None:
    code, _ = daemon.send(mail("big", "x" * 1_200_000, sender="tester@corp.example.org"))
    assert code == 552


def test_deliver_stores_for_the_daemon(daemon: Daemon) -> None:
    raw = mail("Сломалась мышь", "Не кликает", sender="oleg@corp.example.org").as_bytes()
    result = daemon.cli("deliver", "--recipient", "support@example.com", input=raw)
    assert result.exit_code == 0, result.output
    daemon.settle()
    assert len(tickets_json(daemon, "--requester", "oleg@corp.example.org")) == 1
    bad = daemon.cli("deliver", "--recipient", "nobody@example.com", input=raw)
    assert bad.exit_code == 67 and "no such mailbox" in bad.output
    empty = daemon.cli("deliver", input=b"")
    assert empty.exit_code == 65


def test_mail_from_our_own_address_is_ignored(daemon: Daemon) -> None:
    out_before = len(daemon.outgoing())
    tickets_before = len(daemon.tickets())
    daemon.send(mail("loop", "ourselves", sender="IT Support <support@example.com>"))
    daemon.settle()
    assert len(daemon.tickets()) == tickets_before
    assert len(daemon.outgoing()) == out_before


def test_garbage_still_becomes_a_ticket(daemon: Daemon) -> None:
    raw = (
        b"From: \xff\xfe broken <kirill@corp.example.org>\r\nSubject: =?bogus?Q?=E9?= \xe9\xe9\r\n"
        b"Content-Type: multipart/mixed; boundary=zzz\r\n\r\n--zzz\r\nContent-Type: text/plain;"
        b" charset=unknown-8bit\r\n\r\n\xcf\xf0\xe8\xe2\xe5\xf2\r\n--zz\r\n"
    )
    assert daemon.send(raw)[0] == 250
    daemon.settle()
    [ticket] = tickets_json(daemon, "--requester", "kirill@corp.example.org")
    assert ticket["messages"] == 1
    with daemon.db.read() as s:
        from sqlalchemy import select

        row = s.scalar(select(Inbound).where(Inbound.ticket_id == ticket["id"]))
        assert row is not None and row.raw == raw  # the raw form is kept as received


def test_shows_with_history(daemon: Daemon) -> None:
    [ticket] = tickets_json(daemon, "--requester", "ivan@corp.example.org")
    shown = daemon.cli("tickets", "show", str(ticket["tag"]), "--history", "--format", "json")
    data = json.loads(shown.output)
    kinds = [e["kind"] for e in data["events"]]
    assert kinds[0] == "created" and "status" in kinds
    table = daemon.cli("tickets", "show", str(ticket["id"]), "--history")
    assert "Заменили картридж" in table.output and "History:" in table.output
    missing = daemon.cli("tickets", "show", "9999")
    assert missing.exit_code == 1 and "no ticket 9999" in missing.output


def test_clean_stop(tmp_path: Path) -> None:
    d = Daemon(tmp_path).start()
    try:
        d.send(mail("Проверка", "текст"))
        d.settle()
        assert d.stop() == 0
        assert "stopped" in d.log.read_text()
    finally:
        d.close()
