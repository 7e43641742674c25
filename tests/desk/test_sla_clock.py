"""The SLA clock and the escalation check with a controllable clock (`now` passed, never
slept): business hours, holidays, pauses, warnings and breaches once each, bursts."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.desk import actions, clock, sla
from gateway.escalation.check import run_check
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.settings.desk import SlaEntry
from gateway.store import tickets
from gateway.store.db import Database, upgrade
from gateway.store.model import Event, Outbox, Ticket, User

MSK = dt.timezone(dt.timedelta(hours=3))


def msk(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=MSK).astimezone(dt.UTC)


CFG: dict[str, Any] = {
    "helpdesk": {"address": "support@example.com", "locale": "en"},
    "agents": [
        {"email": "alice@example.com", "name": "Alice", "role": "admin"},
        {"email": "bob@example.com", "name": "Bob", "role": "agent"},
    ],
    "sla": [
        {
            "name": "std",
            "business_hours": "09:00-18:00",
            "timezone": "Europe/Moscow",
            "holidays": ["2026-12-31"],
            "targets": [
                {"criticality": "high", "response": "1h", "resolve": "2d", "update": "2h"},
                {"criticality": "low", "response": "4h", "resolve": "5d"},
            ],
        }
    ],
}


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[Database, Services]]:
    url = f"sqlite:///{tmp_path / 'hd.db'}"
    upgrade(url)
    cfg = config_mod.from_dict(CFG)
    cfg.base_dir = tmp_path
    db = Database(url)
    with db.write() as session:
        for a in cfg.agents:
            session.add(User(email=a.email, name=a.name, role=a.role))
    yield db, Services.from_config(cfg)
    db.dispose()


def _user(session: Session, email: str) -> User:
    return tickets.get_or_create_user(session, email)


def open_ticket(
    session: Session, services: Services, at: dt.datetime, *, level: str = "high", n: int = 0
) -> Ticket:
    requester = _user(session, f"ivan{n}@пример.рф")
    ticket = tickets.create_ticket(
        session,
        subject=f"Принтер {n}",
        requester=requester,
        status="new",
        criticality=level,
        category="",
        source="smtp",
    )
    ticket.created_at = at
    actions.apply_sla(session, services, ticket, "std", "rules")
    return ticket


def level() -> SlaEntry:
    return config_mod.from_dict(CFG).sla[0]


def test_business_seconds_skip_nights_weekends_and_holidays() -> None:
    cal = sla.Calendar.of(level())
    # Friday 17:00 to Monday 10:00: one hour on Friday, one on Monday.
    assert clock.business_seconds(msk(12, 4, 17), msk(12, 7, 10), cal) == 2 * 3600
    # 30 December 17:00 to 1 January 10:00: the 31st is a holiday, 1 January a Friday.
    assert clock.business_seconds(msk(12, 30, 17), msk(1, 1, 10).replace(year=2027), cal) == (
        2 * 3600
    )
    assert clock.business_seconds(msk(12, 7, 10), msk(12, 7, 9), cal) == 0


def test_pause_moves_the_due_times_by_the_business_time_paused(
    desk: tuple[Database, Services],
) -> None:
    db, services = desk
    cfg = services.cfg
    with db.write() as session:
        bob = _user(session, "bob@example.com")
        ticket = open_ticket(session, services, msk(12, 1, 10))  # Tuesday 10:00
        assert ticket.response_due_at == msk(12, 1, 11)
        assert ticket.resolve_due_at == msk(12, 3, 10)  # 2 working days of 9 h
        clock.answered(cfg, ticket, msk(12, 1, 10, 20))
        assert ticket.first_response_s == 20 * 60
        # Waiting for the requester from 10:30 until Wednesday 10:30: 9 business hours.
        ticket.status = "waiting"
        clock.status_changed(
            session, cfg, ticket, "in_progress", "bob@example.com", msk(12, 1, 10, 30)
        )
        assert ticket.sla_paused_at == msk(12, 1, 10, 30)
        assert ticket.next_escalation_at is None  # the clocks stand still
        ticket.status = "in_progress"
        clock.status_changed(session, cfg, ticket, "waiting", "ivan0@пример.рф", msk(12, 2, 10, 30))
        assert ticket.sla_paused_s == 9 * 3600
        assert ticket.resolve_due_at == msk(12, 4, 10)  # Thursday 10:00 + 9 h = Friday 10:00
        # Resolved Friday 09:30: 2 days of 9 h + 0.5 h since opening, minus the pause.
        ticket.status, ticket.closed = "resolved", True
        clock.status_changed(session, cfg, ticket, "in_progress", bob.email, msk(12, 4, 9, 30))
        assert ticket.resolution_s == (8 + 9 + 9 + 0.5 - 9) * 3600
        assert not ticket.breached
        kinds = [e.kind for e in session.scalars(select(Event).where(Event.ticket_id == ticket.id))]
        assert "sla_paused" in kinds and "sla_resumed" in kinds


def test_update_clock_runs_after_a_later_requester_mail(desk: tuple[Database, Services]) -> None:
    db, services = desk
    cfg = services.cfg
    with db.write() as session:
        ticket = open_ticket(session, services, msk(12, 1, 10))
        clock.answered(cfg, ticket, msk(12, 1, 10, 10))
        clock.requester_wrote(cfg, ticket, msk(12, 1, 17))
        # 2 h from 17:00: one hour today, one from Wednesday 09:00.
        assert ticket.update_due_at == msk(12, 2, 10)
        clock.answered(cfg, ticket, msk(12, 2, 9, 30))
        assert ticket.update_due_at is None and not ticket.breached


def _outbox(session: Session) -> list[Outbox]:
    return list(session.scalars(select(Outbox).order_by(Outbox.id)))


def test_warning_then_breach_each_once(desk: tuple[Database, Services]) -> None:
    db, services = desk
    with db.write() as session:
        ticket = open_ticket(session, services, msk(12, 1, 10))
        actions.set_assignee(session, ticket, _user(session, "bob@example.com"), "rules")
        ticket_id = ticket.id
    checks = [msk(12, 1, 10, 44), msk(12, 1, 10, 46), msk(12, 1, 10, 50), msk(12, 1, 11, 1)]
    mails = []
    for now in [*checks, msk(12, 1, 11, 30)]:
        with db.write() as session:
            mails.append(run_check(session, services, now).recipients)
    assert mails == [
        [],
        ["bob@example.com"],  # 75 % of the hour: the assignee is warned
        [],
        ["bob@example.com", "alice@example.com"],  # breached: assignee and the admin
        [],
    ]
    with db.read() as session:
        found = session.get(Ticket, ticket_id)
        assert found is not None and found.breached
        marks = list(
            session.scalars(
                select(Event.new).where(Event.ticket_id == ticket_id, Event.kind == "escalation")
            )
        )
        assert marks == ["response:0.75", "response:breach"]
        sent = _outbox(session)
        assert [o.kind for o in sent] == ["escalation"] * 3
        body = email.message_from_bytes(sent[-1].raw, policy=email.policy.default)
        assert "SLA breached" in str(body["Subject"])
        assert body["Auto-Submitted"] == "auto-generated"


def test_answer_in_time_stops_the_response_clock(desk: tuple[Database, Services]) -> None:
    db, services = desk
    with db.write() as session:
        ticket = open_ticket(session, services, msk(12, 1, 10))
        clock.answered(services.cfg, ticket, msk(12, 1, 10, 30))
    with db.write() as session:
        assert run_check(session, services, msk(12, 1, 12)).milestones == 0
        found = session.scalars(select(Ticket)).one()
        # The next moment is the resolution's warning: 75 % of 18 business hours.
        assert found.next_escalation_at == msk(12, 2, 14, 30)


def test_burst_of_300_breaches_gives_one_mail_per_recipient(
    desk: tuple[Database, Services],
) -> None:
    db, services = desk
    with db.write() as session:
        bob = _user(session, "bob@example.com")
        for n in range(300):
            ticket = open_ticket(session, services, msk(12, 1, 10), n=n)
            actions.set_assignee(session, ticket, bob, "rules")
    with db.write() as session:
        result = run_check(session, services, msk(12, 1, 12))
    assert result.tickets == 300
    assert sorted(result.recipients) == ["alice@example.com", "bob@example.com"]
    with db.read() as session:
        sent = _outbox(session)
        assert len(sent) == 2
        text = email.message_from_bytes(sent[0].raw, policy=email.policy.default)
        plain = text.get_body(("plain",))
        assert plain is not None
        # Only the furthest milestone of each ticket is listed: its breach.
        assert plain.get_content().count("BREACHED") == 300


def test_criticality_change_recomputes_with_history(desk: tuple[Database, Services]) -> None:
    db, services = desk
    with db.write() as session:
        alice = _user(session, "alice@example.com")
        ticket = open_ticket(session, services, msk(12, 1, 10), level="low")
        assert ticket.response_due_at == msk(12, 1, 14)
        actions.set_criticality(session, services, ticket, "high", alice)
        assert ticket.response_due_at == msk(12, 1, 11)
        event = session.scalars(
            select(Event).where(Event.ticket_id == ticket.id, Event.kind == "sla_recomputed")
        ).one()
        assert "criticality low -> high" in (event.new or "")
        # In UTC: 14:00 and 11:00 in Moscow.
        assert "response by 2026-12-01T11:00" in (event.old or "")
        assert "response by 2026-12-01T08:00" in (event.new or "")


@pytest.mark.parametrize("switched_on", [True, False])
def test_requester_hears_of_waiting_unless_switched_off(
    desk: tuple[Database, Services], switched_on: bool
) -> None:
    db, services = desk
    services.cfg.notifications.status_waiting = switched_on
    with db.write() as session:
        ticket = open_ticket(session, services, msk(12, 1, 10))
        ticket.requester.email = "ivan@firma.ru"
        actions.change_status(
            session, services, ticket, "waiting", _user(session, "bob@example.com")
        )
        assert ticket.sla_paused_at is not None
    with db.read() as session:
        sent = [(o.kind, o.rcpt_to) for o in _outbox(session)]
    assert sent == ([("status_notice", ["ivan@firma.ru"])] if switched_on else [])
