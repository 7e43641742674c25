"""One copy per recipient, over real SMTP: a participant in Cc gets a copy of their own
(Message-ID, reply address, References), so their reply is theirs, with no authority of
the requester's; the requester keeps it; a forwarded copy answered from a third address
acts as nobody and is kept hidden, marked unauthenticated, for the agents to see."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import Message

import pytest
from sqlalchemy import func, select

from gateway.store.model import Outbox
from tests.e2e.test_commands import Desk, reply, subject
from tests.harness import Daemon, mail, text_of

AGENT = "Alice <alice@example.com>"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(
        tmp_path_factory.mktemp("copies"),
        outgoing='suppress_domains = ["invalid", "gone.example.net"]',
    ).start()
    yield d
    d.close()


class CcDesk(Desk):
    """A ticket whose first mail had colleagues in Cc (they become participants)."""

    def __init__(self, daemon: Daemon, requester: str, cc: list[str], title: str) -> None:
        self.d = daemon
        self.requester = requester
        before = len(daemon.outgoing_to("alice@example.com"))
        first = mail(title, "Подробности проблемы, см. копию.", sender=requester, Cc=", ".join(cc))
        assert daemon.send(first)[0] == 250
        daemon.settle()
        self.notice = daemon.outgoing_to("alice@example.com")[before]
        found = re.search(r"\[(HD-\d+)\]", subject(self.notice))
        assert found is not None
        self.tag = found.group(1)
        self.id = int(self.tag.split("-")[1])
        wanted = sorted(re.sub(r".*<|>", "", a) for a in cc)
        assert sorted(daemon.show(self.id)["participants"]) == wanted

    def copy_for(self, address: str, words: str) -> Message:
        """The newest mail to `address` (in its To) about this ticket carrying `words`."""
        found = [
            m
            for m in self.d.outgoing_to(address)
            if f"[{self.tag}]" in subject(m) and words in text_of(m)
        ]
        assert found, f"no mail to {address} with {words!r}"
        return found[-1]

    def rows(self, kind: str) -> list[Outbox]:
        with self.d.db.read() as s:
            rows = list(
                s.scalars(
                    select(Outbox)
                    .where(Outbox.ticket_id == self.id, Outbox.kind == kind)
                    .order_by(Outbox.id)
                )
            )
            for row in rows:
                s.expunge(row)
            return rows


def _ids(m: Message) -> set[str]:
    return {
        i.strip("<>")
        for h in ("In-Reply-To", "References")
        for i in str(m.get(h, "")).split()
        if i.strip("<>")
    }


def test_each_recipient_gets_a_copy_of_their_own(daemon: Daemon) -> None:
    t = CcDesk(
        daemon,
        "kate@corp.example.org",
        ["olga@corp.example.org", "Пётр <petr@corp.example.org>"],
        "Не работает сканер",
    )
    t.agent_says("Заменим кабель сегодня.")
    kate = t.copy_for("kate@corp.example.org", "Заменим кабель")
    olga = t.copy_for("olga@corp.example.org", "Заменим кабель")
    petr = t.copy_for("petr@corp.example.org", "Заменим кабель")
    copies = (kate, olga, petr)
    assert len({str(m["Message-ID"]) for m in copies}) == 3
    assert len({str(m["Reply-To"]) for m in copies}) == 3
    # Everyone still sees who else was told.
    assert "olga@corp.example.org" in str(kate["Cc"]) and "petr@" in str(kate["Cc"])
    assert "kate@corp.example.org" in str(olga["Cc"]) and "olga@" not in str(olga["Cc"])
    # No copy names the Message-ID of mail sent to someone else (the requester's
    # confirmation, another participant's copy).
    [confirmation] = [
        m for m in daemon.outgoing_to("kate@corp.example.org") if "Заменим" not in text_of(m)
    ]
    kate_only = {str(confirmation["Message-ID"]).strip("<>"), str(kate["Message-ID"]).strip("<>")}
    for m in (olga, petr):
        assert not (_ids(m) & kate_only), m["References"]
    assert str(olga["Message-ID"]).strip("<>") not in _ids(petr)
    # One outbox row per copy, each with its own VERP envelope sender and one recipient.
    rows = t.rows("answer")
    assert sorted(r.rcpt_to[0] for r in rows) == sorted(
        ["kate@corp.example.org", "olga@corp.example.org", "petr@corp.example.org"]
    )
    assert all(len(r.rcpt_to) == 1 for r in rows)
    assert len({r.mail_from for r in rows}) == 3
    # The relay limit counts the received answer once, not once per copy.
    with daemon.db.read() as s:
        relayed = s.scalar(
            select(func.count(func.distinct(Outbox.inbound_id))).where(
                Outbox.ticket_id == t.id, Outbox.kind == "answer"
            )
        )
    assert relayed == 1


def test_participant_reply_is_theirs_and_cannot_close(daemon: Daemon) -> None:
    t = CcDesk(daemon, "lena@corp.example.org", ["igor@corp.example.org"], "Нет сети в 305")
    t.agent_says("Проверим коммутатор.")
    igor = t.copy_for("igor@corp.example.org", "коммутатор")
    assert (
        daemon.send(reply(igor, "Игорь <igor@corp.example.org>", "У меня тоже нет сети."))[0] == 250
    )
    daemon.settle()
    data = daemon.show(t.id)
    last = data["messages"][-1]
    assert (last["from"], last["kind"], last["hidden"]) == (
        "igor@corp.example.org",
        "request",
        False,
    )
    # Requester-level commands are the requester's: a participant's #close is refused.
    assert daemon.send(reply(igor, "igor@corp.example.org", "#close\nВсё заработало."))[0] == 250
    daemon.settle()
    data = daemon.show(t.id)
    assert data["closed"] is False
    [receipt] = [
        m
        for m in daemon.outgoing_to("igor@corp.example.org")
        if "не выполнены" in subject(m) and f"[{t.tag}]" in subject(m)
    ]
    assert "#close" in text_of(receipt) and "requester" in text_of(receipt)
    assert data["messages"][-1]["from"] == "igor@corp.example.org"


def test_participant_cannot_act_as_the_requester(daemon: Daemon) -> None:
    t = CcDesk(daemon, "nina@corp.example.org", ["oleg@corp.example.org"], "Сломался ноутбук")
    t.agent_says("Привезите ноутбук в 101.")
    oleg = t.copy_for("oleg@corp.example.org", "Привезите")
    before_nina = len(t.to_requester())
    # Oleg forges From: Nina on his own copy: its reply address and Message-ID are his.
    forged = reply(oleg, "Нина <nina@corp.example.org>", "#close\nСпасибо, больше не нужно.")
    assert daemon.send(forged, mail_from="oleg@corp.example.org")[0] == 250
    daemon.settle()
    data = daemon.show(t.id)
    assert data["closed"] is False
    last = data["messages"][-1]
    assert last["kind"] == "unauthenticated" and last["hidden"] is True
    assert len(t.to_requester()) == before_nina + 1  # only the receipt of the refusal
    assert "не выполнены" in subject(t.to_requester()[-1])
    # Nothing of it is relayed to the participants either; the agent is told, marked.
    notices = [
        m for m in daemon.outgoing_to("alice@example.com") if "Спасибо, больше" in text_of(m)
    ]
    assert len(notices) == 1 and "не подтверждено" in text_of(notices[0])
    # The same with no reply address at all: In-Reply-To of Oleg's copy, to support@.
    forged2 = mail(
        f"Re: [{t.tag}] Сломался ноутбук",
        "Отменяю заявку.",
        sender="nina@corp.example.org",
        In_Reply_To=str(oleg["Message-ID"]),
    )
    assert daemon.send(forged2, mail_from="oleg@corp.example.org")[0] == 250
    daemon.settle()
    assert daemon.show(t.id)["messages"][-1]["kind"] == "unauthenticated"
    # The requester herself still can, from her own copy.
    nina = t.copy_for("nina@corp.example.org", "Привезите")
    assert daemon.send(reply(nina, "Нина <nina@corp.example.org>", "#close\nРешено."))[0] == 250
    daemon.settle()
    data = daemon.show(t.id)
    assert data["closed"] is True
    assert data["messages"][-1]["from"] == "nina@corp.example.org"


def test_forwarded_copy_answered_by_a_third_address_acts_as_nobody(daemon: Daemon) -> None:
    t = CcDesk(daemon, "anna@corp.example.org", ["boris@corp.example.org"], "Не печатает МФУ")
    t.agent_says("Закажем картридж.")
    anna = t.copy_for("anna@corp.example.org", "картридж")
    boris_before = len(daemon.outgoing_to("boris@corp.example.org"))
    anna_before = len(t.to_requester())
    # Anna forwarded her copy to a partner, who answers it (her reply address in To).
    outsider = reply(anna, "Partner <ops@vendor.example>", "#close\nPlease call me instead.")
    assert daemon.send(outsider, mail_from="ops@vendor.example")[0] == 250
    daemon.settle()
    data = daemon.show(t.id)
    assert data["closed"] is False
    last = data["messages"][-1]
    assert (last["from"], last["kind"], last["hidden"]) == (
        "ops@vendor.example",
        "unauthenticated",
        True,
    )
    assert len(t.to_requester()) == anna_before
    assert len(daemon.outgoing_to("boris@corp.example.org")) == boris_before
    assert "ops@vendor.example" not in data["participants"]
    told = [m for m in daemon.outgoing_to("alice@example.com") if "call me" in text_of(m)]
    assert len(told) == 1 and "не подтверждено" in text_of(told[0])


def test_held_answer_is_released_to_every_recipient(daemon: Daemon) -> None:
    t = CcDesk(daemon, "vera@corp.example.org", ["gleb@corp.example.org"], "Вирус на ПК")
    t.agent_says("#note\nПароль администратора на этом ПК: Qwerty-2024-секрет, не говорить.")
    t.agent_says("Проверили. Пароль администратора на этом ПК: Qwerty-2024-секрет, не говорить.")
    held = t.rows("answer")
    assert len(held) == 2 and {r.state for r in held} == {"held"}
    assert all("Qwerty" not in text_of(m) for m in daemon.outgoing_to("gleb@corp.example.org"))
    [receipt] = [m for m in daemon.outgoing_to("alice@example.com") if "Qwerty" in text_of(m)][-1:]
    assert daemon.send(reply(receipt, AGENT, "#send"))[0] == 250
    daemon.settle()
    assert {r.state for r in t.rows("answer")} == {"sent"}
    assert t.copy_for("gleb@corp.example.org", "Проверили")
    assert t.copy_for("vera@corp.example.org", "Проверили")


def test_suppressed_participant_stops_only_their_copy(daemon: Daemon) -> None:
    t = CcDesk(daemon, "ilya@corp.example.org", ["maria@corp.example.org"], "Медленный VPN")
    t.agent_says("#cc old@gone.example.net\nПерезапустили шлюз VPN.")
    rows = {r.rcpt_to[0]: r.state for r in t.rows("answer")}
    assert rows == {
        "ilya@corp.example.org": "sent",
        "maria@corp.example.org": "sent",
        "old@gone.example.net": "suppressed",
    }
    maria = t.copy_for("maria@corp.example.org", "шлюз")
    assert "old@gone.example.net" not in str(maria["Cc"])
    told = [
        m for m in daemon.outgoing_to("alice@example.com") if "old@gone.example.net" in text_of(m)
    ]
    assert told, "the agent hears that the answer did not reach one recipient"
