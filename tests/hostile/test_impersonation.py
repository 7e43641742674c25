"""Impersonation over real SMTP: a requester who harvests the Message-IDs of the mail the
desk sent him, or an agent's forwarded reply address, cannot act as that agent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.test_commands import Desk, reply, subject
from tests.harness import Daemon, mail


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("impersonation")).start()
    yield d
    d.close()


def test_harvested_references_never_name_mail_to_agents(daemon: Daemon) -> None:
    t = Desk(daemon, "mallory@corp.example.org", "Не работает почта")
    t.agent_says("Посмотрим сегодня.")
    agent_ids = {str(m["Message-ID"]) for m in daemon.outgoing_to("alice@example.com")}
    for m in t.to_requester():
        seen = " ".join(str(m.get(h, "")) for h in ("References", "In-Reply-To"))
        assert not any(mid in seen for mid in agent_ids), seen


def test_forged_from_with_harvested_reply_id_executes_nothing(daemon: Daemon) -> None:
    t = Desk(daemon, "eve@corp.example.org", "Нужен VPN")
    t.agent_says("Проверим доступ.")
    # Every id the requester ever saw: Message-ID, In-Reply-To, References of her mail.
    seen = " ".join(
        str(m.get(h, ""))
        for m in t.to_requester()
        for h in ("Message-ID", "In-Reply-To", "References")
    )
    harvested = " ".join(sorted(set(seen.split())))
    forged = mail(
        f"Re: [{t.tag}] Нужен VPN",
        "#assign bob@example.com\n#priority high\n#cc victim@corp.example.org\n"
        "Официальный ответ: введите пароль тут.",
        sender="Alice <alice@example.com>",
        to="support@example.com",
        In_Reply_To=harvested.split()[-1],
        References=harvested,
    )
    before = len(t.to_requester())
    assert daemon.send(forged.as_bytes(), mail_from="eve@corp.example.org")[0] == 250
    daemon.settle()
    data = daemon.show(t.id)
    assert data["criticality"] != "high"
    assert data["assignee"] != "bob@example.com"
    assert "victim@corp.example.org" not in data["participants"]
    assert daemon.outgoing_to("victim@corp.example.org") == []
    assert len(t.to_requester()) == before
    assert data["messages"][-1]["hidden"] is True


def test_agent_token_from_another_sender_is_hidden(daemon: Daemon) -> None:
    t = Desk(daemon, "oscar@corp.example.org", "Сломался монитор")
    before = len(t.to_requester())
    stolen = reply(t.notice, "oscar@corp.example.org", "Ответ от имени агента: всё решено.")
    assert daemon.send(stolen, mail_from="oscar@corp.example.org")[0] == 250
    daemon.settle()
    data = daemon.show(t.id)
    last = data["messages"][-1]
    assert last["hidden"] is True and last["kind"] == "unauthenticated"
    assert len(t.to_requester()) == before


def test_token_replayed_after_close_does_not_act(daemon: Daemon) -> None:
    t = Desk(daemon, "paul@corp.example.org", "Не открывается файл")
    t.agent_says("#close")
    assert daemon.show(t.id)["closed"] is True
    # The old notice's reply address and Message-ID, replayed later by whoever holds them.
    t.agent_says("#priority high\n#cc outsider@corp.example.org")
    data = daemon.show(t.id)
    assert data["criticality"] != "high"
    assert "outsider@corp.example.org" not in data["participants"]
    receipt = [m for m in daemon.outgoing_to("alice@example.com") if t.tag in subject(m)][-1]
    assert "не выполнены" in subject(receipt)


def test_check_config_names_from_as_the_weak_link(daemon: Daemon) -> None:
    result = daemon.cli("check-config")
    assert "trusted_authserv_id" in result.output
