"""The desk under control over real SMTP: `#report` only for an authenticated admin (the
report arrives as HTML with cid: charts and a CSV), and escalations of a ticket that came
in by SMTP, checked with the time passed in (`helpdesk escalation check --now`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from email.message import EmailMessage, Message

import pytest

from tests.harness import Daemon, mail, text_of

EXTRA = """
[security]
trusted_authserv_id = "mx.example.com"

[escalation]
check_seconds = 0

[reports]
schedule = ""

[[sla]]
name = "std"
[[sla.targets]]
criticality = "medium"
response = "1h"
resolve = "8h"
"""
PASS = "mx.example.com; dkim=pass header.d=example.com; spf=pass smtp.mailfrom=example.com"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("control"), EXTRA).start()
    yield d
    d.close()


def _to(daemon: Daemon, address: str, kind: str) -> list[Message]:
    return [m for m in daemon.outgoing_to(address) if kind in str(m["Subject"])]


def test_report_only_for_an_authenticated_admin(daemon: Daemon) -> None:
    before = len(daemon.outgoing())
    # An agent who is not an admin, authenticated: refused.
    assert daemon.send(mail("отчёт", "#report", sender="Bob <bob@example.com>",
                            Authentication_Results=PASS))[0] == 250  # fmt: skip
    # The admin's address without proof (anyone can write that From): refused.
    assert daemon.send(mail("отчёт", "#report month", sender="Alice <alice@example.com>"))[0] == 250
    # A forged pass from a server that is not the trusted one: refused.
    forged = "evil.example; dkim=pass header.d=example.com"
    assert daemon.send(mail("отчёт", "#report", sender="alice@example.com",
                            Authentication_Results=forged))[0] == 250  # fmt: skip
    daemon.settle()
    new = daemon.outgoing()[before:]
    assert len(new) == 3
    assert not any(m.get_content_type() == "multipart/related" for m in new)
    texts = [text_of(m) for m in new]
    assert "admins only" in texts[0]
    assert all("proves neither" in t for t in texts[1:])
    assert [str(m["To"]) for m in new] == [
        "Bob <bob@example.com>", "Alice <alice@example.com>", "Alice <alice@example.com>",
    ]  # fmt: skip
    assert daemon.tickets() == []  # a #report never opens a ticket
    # Authenticated by the trusted server: the report.
    assert daemon.send(mail("отчёт", "#отчёт месяц", sender="Alice <alice@example.com>",
                            Authentication_Results=PASS))[0] == 250  # fmt: skip
    daemon.settle()
    report = daemon.outgoing()[-1]
    assert isinstance(report, EmailMessage)
    assert "Отчёт службы поддержки" in str(report["Subject"])
    parts = list(report.walk())
    images = [p for p in parts if p.get_content_type() == "image/png"]
    assert len(images) == 7 and all(p["Content-ID"] for p in images)
    html = report.get_body(("html",))
    assert html is not None
    body = html.get_content()
    for p in images:
        assert f"cid:{str(p['Content-ID']).strip('<>')}" in body
    attached = [p for p in parts if (p.get_filename() or "").endswith(".csv")]
    assert len(attached) == 1
    assert isinstance(attached[0], EmailMessage)
    assert attached[0].get_content().splitlines()[0].startswith("key,opened,closed,open")


def test_escalation_of_a_ticket_from_smtp(daemon: Daemon) -> None:
    assert daemon.send(mail("Не работает VPN", "Не подключается с утра."))[0] == 250
    daemon.settle()
    (ticket,) = [t for t in daemon.tickets() if t.subject == "Не работает VPN"]
    assert ticket.response_due_at == ticket.created_at + dt.timedelta(hours=1)

    def check(minutes: int) -> dict[str, object]:
        now = (ticket.created_at + dt.timedelta(minutes=minutes)).isoformat()
        result = daemon.cli("escalation", "check", "--now", now)
        assert result.exit_code == 0, result.output
        data: dict[str, object] = json.loads(result.output)
        return data

    assert check(30)["milestones"] == 0
    assert check(46)["recipients"] == ["alice@example.com"]  # nobody assigned: the admins
    assert check(50)["milestones"] == 0  # once
    assert check(61)["recipients"] == ["alice@example.com"]
    assert check(62)["milestones"] == 0
    daemon.settle()
    warned = _to(daemon, "alice@example.com", "SLA")
    assert len(warned) == 2
    assert ("HD-" in text_of(warned[-1]) and "BREACHED" in text_of(warned[-1])) or "НАРУШЕН" in (
        text_of(warned[-1])
    )
    listed = json.loads(daemon.cli("tickets", "list", "--format", "json").output)
    assert [t["breached"] for t in listed if t["id"] == ticket.id] == [True]


def test_bad_time_for_a_check_is_refused(daemon: Daemon) -> None:
    result = daemon.cli("escalation", "check", "--now", "завтра")
    assert result.exit_code == 2 and "not a date" in result.output
