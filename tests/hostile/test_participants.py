"""Participants over real SMTP: a first mail with 2,000 Cc makes at most the cap of
participants, colleagues first; the rest are listed for the agent, whose #cc adds one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.test_commands import Desk
from tests.harness import Daemon, mail, text_of


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("participants")).start()
    yield d
    d.close()


def test_two_thousand_cc_make_at_most_the_cap(daemon: Daemon) -> None:
    colleagues = [f"colleague{i}@corp.example.org" for i in range(15)]
    strangers = [f"victim{i}@mail{i % 40}.example.ru" for i in range(1985)]
    msg = mail(
        "Срочно: не работает почта",
        "Подробности.",
        sender="stranger@corp.example.org",
        Cc=", ".join(strangers[:1000] + colleagues + strangers[1000:]),
    )
    assert daemon.send(msg)[0] == 250
    daemon.settle(60)
    [ticket] = daemon.tickets()
    data = daemon.show(ticket.id)
    assert sorted(data["participants"]) == sorted(colleagues[:10])
    proposed = [e for e in data["events"] if e["kind"] == "cc_proposed"]
    assert proposed and "victim0@mail0.example.ru" in proposed[0]["new"]
    [notice] = daemon.outgoing_to("alice@example.com")
    assert "victim0@mail0.example.ru" in text_of(notice) and "#cc" in text_of(notice)
    # The agent's answer goes to the requester and the ten colleagues only.
    t = Desk.__new__(Desk)
    t.d, t.requester, t.notice, t.id = daemon, "stranger@corp.example.org", notice, ticket.id
    t.agent_says("#cc victim5@mail5.example.ru\nПосмотрим.")
    answer = daemon.outgoing_to("stranger@corp.example.org")[-1]
    cc = str(answer["Cc"])
    assert cc.count("@") == 11 and "victim5@mail5.example.ru" in cc
