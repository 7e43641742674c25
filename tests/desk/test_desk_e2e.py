"""The service-desk rules end to end: a daemon over real SMTP with categories, groups, SLA
levels and assignment rules; changes made as the agent commands make them (gateway.desk)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from gateway import desk
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.store.model import Outbox, Ticket, User
from tests.harness import Daemon, mail, text_of

EXTRA = """
[[agents]]
email = "carol@example.com"
name = "Carol"
role = "agent"

[[agents]]
email = "dave@example.com"
name = "Dave"
role = "agent"

[tickets]
reopen_days = 7

[attachments]
client_max_bytes = 2000

[[categories]]
name = "printers"
addresses = ["printers@example.com"]
assignee = "bob@example.com"

[[groups]]
name = "management"
members = ["@board.example.org"]

[[groups]]
name = "blocked"
role = "denied"
members = ["@spam.example.net"]

[[sla]]
name = "vip"
groups = ["management"]
assignee = "dave@example.com"
[[sla.targets]]
criticality = "high"
response = "1h"
resolve = "4h"

[[sla]]
name = "standard"
[[sla.targets]]
criticality = "medium"
response = "1d"
resolve = "5d"

[[rules]]
name = "vpn"
keywords = ["vpn"]
assignee = "carol@example.com"
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("desk"), extra=EXTRA).start()
    yield d
    d.close()


def ticket_of(daemon: Daemon, requester: str) -> dict[str, Any]:
    result = daemon.cli("tickets", "list", "--format", "json", "--requester", requester)
    found: list[dict[str, Any]] = json.loads(result.output)
    return found[0]  # newest first


def show(daemon: Daemon, ticket_id: int) -> dict[str, Any]:
    out = daemon.cli("tickets", "show", str(ticket_id), "--history", "--format", "json").output
    data: dict[str, Any] = json.loads(out)
    return data


def kinds_to(daemon: Daemon, address: str) -> list[str]:
    with daemon.db.read() as s:
        rows = s.query(Outbox).order_by(Outbox.id).all()
        return [r.kind for r in rows if address in r.rcpt_to]


def send(daemon: Daemon, msg: EmailMessage, rcpt: str = "support@example.com") -> None:
    assert daemon.send(msg, rcpt=[rcpt])[0] == 250
    daemon.settle()


def in_process(daemon: Daemon, ticket_id: int, change: Any) -> None:
    """Change a ticket as an agent's command would (the daemon sends the mail it queues)."""
    cfg = config_mod.load(daemon.config)
    services = Services.from_config(cfg)
    with daemon.db.write() as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        change(s, services, ticket)
    daemon.settle()


def test_routing_by_address_and_assignment(daemon: Daemon) -> None:
    send(
        daemon,
        mail("Замятие бумаги", "Принтер жуёт бумагу", sender="u1@corp.example.org"),
        rcpt="printers@example.com",
    )
    t = ticket_of(daemon, "u1@corp.example.org")
    assert t["category"] == "printers" and t["assignee"] == "bob@example.com"
    assert kinds_to(daemon, "bob@example.com") == ["agent_new_ticket"]
    assert "agent_new_ticket" not in kinds_to(daemon, "alice@example.com")
    detail = show(daemon, t["id"])
    assert detail["sla_level"] == "standard" and detail["response_due_at"]

    # A keyword rule wins over the category.
    send(
        daemon,
        mail("VPN и принтер", "Не подключается VPN", sender="u2@corp.example.org"),
        rcpt="printers@example.com",
    )
    assert ticket_of(daemon, "u2@corp.example.org")["assignee"] == "carol@example.com"

    # The SLA level of the requester's group names the assignee; headers set criticality.
    send(
        daemon,
        mail("Почта", "Не приходит почта", sender="ceo@board.example.org", Importance="high"),
    )
    t = ticket_of(daemon, "ceo@board.example.org")
    assert t["assignee"] == "dave@example.com" and t["criticality"] == "high"
    detail = show(daemon, t["id"])
    assert detail["sla_level"] == "vip"
    due = dt.datetime.fromisoformat(detail["response_due_at"].replace("Z", "+00:00"))
    created = dt.datetime.fromisoformat(detail["created_at"].replace("Z", "+00:00"))
    assert dt.timedelta(minutes=59) < due - created <= dt.timedelta(hours=1)


def test_admins_hear_when_nobody_is_assigned(daemon: Daemon) -> None:
    before = len(daemon.outgoing_to("alice@example.com"))
    send(daemon, mail("Монитор", "Мигает монитор", sender="u3@corp.example.org"))
    t = ticket_of(daemon, "u3@corp.example.org")
    assert t["assignee"] is None
    alice = daemon.outgoing_to("alice@example.com")
    assert len(alice) == before + 1 and "Мигает монитор" in text_of(alice[-1])
    assert not any("u3@" in text_of(m) for m in daemon.outgoing_to("bob@example.com"))


def test_reassignment_tells_requester_and_new_assignee(daemon: Daemon) -> None:
    send(daemon, mail("Клавиатура", "Залипает пробел", sender="u4@corp.example.org"))
    t = ticket_of(daemon, "u4@corp.example.org")

    def reassign(s: Any, services: Services, ticket: Ticket) -> None:
        carol = s.query(User).filter_by(email="carol@example.com").one()
        alice = s.query(User).filter_by(email="alice@example.com").one()
        desk.assign(s, services, ticket, carol, alice)

    in_process(daemon, t["id"], reassign)
    [assigned] = [m for m in daemon.outgoing_to("carol@example.com") if "Залипает" in text_of(m)]
    assert "Вам назначена заявка" in text_of(assigned) and "Alice" in text_of(assigned)
    told = daemon.outgoing_to("u4@corp.example.org")
    assert len(told) == 2 and "теперь занимается Carol" in text_of(told[-1])
    assert f"[{t['tag']}]" in str(told[-1]["Subject"])
    events = show(daemon, t["id"])["events"]
    assert {
        "actor": "alice@example.com",
        "kind": "assignee",
        "old": None,
        "new": "carol@example.com",
    } in [{k: e[k] for k in ("actor", "kind", "old", "new")} for e in events]


def reply(subject_tag: str, body: str, sender: str) -> EmailMessage:
    return mail(f"Re: [{subject_tag}] Принтер", body, sender=sender)


def close(daemon: Daemon, ticket_id: int, days_ago: int = 0) -> None:
    def do(s: Any, services: Services, ticket: Ticket) -> None:
        bob = s.query(User).filter_by(email="bob@example.com").one()
        desk.close(s, services, ticket, bob)
        assert ticket.resolved_at is not None
        ticket.resolved_at -= dt.timedelta(days=days_ago)

    in_process(daemon, ticket_id, do)


def test_closed_tickets_reopen_thank_and_link(daemon: Daemon) -> None:
    requester = "u5@corp.example.org"
    send(daemon, mail("Принтер", "Не печатает", sender=requester), rcpt="printers@example.com")
    t = ticket_of(daemon, requester)
    close(daemon, t["id"])
    assert ticket_of(daemon, requester)["status"] == "resolved"

    # A thanks only: stored, the ticket stays closed, nobody is told.
    bob_before = len(daemon.outgoing_to("bob@example.com"))
    send(daemon, reply(t["tag"], "Спасибо!", requester))
    after = ticket_of(daemon, requester)
    assert after["id"] == t["id"] and after["closed"] and after["messages"] == 2
    assert len(daemon.outgoing_to("bob@example.com")) == bob_before

    # Within reopen_days: reopened, the assignee hears of it.
    send(daemon, reply(t["tag"], "Опять не печатает, горит красная лампа", requester))
    after = ticket_of(daemon, requester)
    assert after["id"] == t["id"] and not after["closed"] and after["status"] == "in_progress"
    bob = daemon.outgoing_to("bob@example.com")
    assert len(bob) == bob_before + 1 and "открыта снова" in text_of(bob[-1])

    # Closed longer ago than reopen_days: a new ticket linked to the old one.
    close(daemon, t["id"], days_ago=30)
    send(daemon, reply(t["tag"], "Снова та же беда с принтером", requester))
    new = ticket_of(daemon, requester)
    assert new["id"] != t["id"] and not new["closed"]
    assert show(daemon, new["id"])["linked_to"] == t["tag"]
    old = show(daemon, t["id"])
    assert old["closed"] and old["continued_by"] == [new["tag"]] and old["message_count"] == 3
    kinds = [e["kind"] for e in old["events"]]
    for kind in (
        "created",
        "category",
        "criticality",
        "sla",
        "assignee",
        "status",
        "message",
        "reopened",
        "continued",
    ):
        assert kind in kinds, kind
    assert "linked" in [e["kind"] for e in show(daemon, new["id"])["events"]]
    table = daemon.cli("tickets", "show", str(t["id"]), "--history").output
    assert "continued_by: " + new["tag"] in table and "reopened" in table


def test_oversized_client_attachment_is_left_out(daemon: Daemon) -> None:
    msg = mail("Скриншот ошибки", "Прилагаю скриншоты", sender="u6@corp.example.org")
    msg.add_attachment(b"x" * 5000, maintype="image", subtype="png", filename="big.png")
    msg.add_attachment(b"y" * 500, maintype="image", subtype="png", filename="small.png")
    send(daemon, msg)
    t = ticket_of(daemon, "u6@corp.example.org")
    detail = show(daemon, t["id"])
    assert [a["filename"] for a in detail["messages"][0]["attachments"]] == ["small.png"]
    notices = [m for m in daemon.outgoing_to("u6@corp.example.org") if "big.png" in text_of(m)]
    assert len(notices) == 1 and "больше допустимых" in text_of(notices[0])
    assert "attachment_refused" in [e["kind"] for e in detail["events"]]


def test_denied_sender_is_refused_once_a_day(daemon: Daemon) -> None:
    before = len(daemon.tickets())
    for i in range(2):
        send(daemon, mail(f"Купите {i}", "Реклама", sender="seller@spam.example.net"))
    assert len(daemon.tickets()) == before
    refusals = daemon.outgoing_to("seller@spam.example.net")
    assert len(refusals) == 1 and refusals[0]["Auto-Submitted"] == "auto-replied"
    assert "не может принять" in text_of(refusals[0])
    # Automatic mail from a denied address gets no refusal at all.
    send(daemon, mail("Auto", "x", sender="robot@spam.example.net", Auto_Submitted="auto-replied"))
    assert daemon.outgoing_to("robot@spam.example.net") == []
