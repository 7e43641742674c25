"""Unit tests of the service-desk rules: SLA due times, criticality, rule matching, roles,
thanks detection and config validation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from gateway.desk import catalog, classify, roles, rules, sla
from gateway.desk.errors import InvalidValue
from gateway.desk.replies import is_thanks_only
from gateway.errors import ConfigError
from gateway.settings import config as config_mod
from gateway.settings.desk import SlaEntry, SlaTarget
from gateway.store import tickets
from gateway.store.db import Database, upgrade
from gateway.store.model import User

MSK = "Europe/Moscow"


def level(**kw: Any) -> SlaEntry:
    base: dict[str, Any] = {
        "name": "std",
        "business_hours": "09:00-18:00",
        "timezone": MSK,
        "holidays": ["2027-01-01", "05-09"],
        "targets": [SlaTarget("high", "1h", "2d"), SlaTarget("low", "4h", "")],
    }
    return SlaEntry(**{**base, **kw})


def msk(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    """A Moscow wall-clock time (UTC+3 all year) as UTC."""
    zone = dt.timezone(dt.timedelta(hours=3))
    return dt.datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(dt.UTC)


def test_due_within_the_working_day() -> None:
    response, resolve = sla.due_times(level(), "high", msk(2026, 12, 1, 10, 0))  # a Tuesday
    assert response == msk(2026, 12, 1, 11, 0)
    # "2d" is two working days of 9 hours: Tue 10:00 + 18h = Thu 10:00.
    assert resolve == msk(2026, 12, 3, 10, 0)


def test_due_carries_over_nights_and_weekends() -> None:
    # Friday 17:30 + 1h: half an hour on Friday, half an hour on Monday.
    response, _ = sla.due_times(level(), "high", msk(2026, 12, 4, 17, 30))
    assert response == msk(2026, 12, 7, 9, 30)
    # Saturday: the clock starts on Monday morning.
    response, _ = sla.due_times(level(), "low", msk(2026, 12, 5, 12, 0))
    assert response == msk(2026, 12, 7, 13, 0)
    # Before opening: counted from 09:00.
    response, _ = sla.due_times(level(), "high", msk(2026, 12, 8, 7, 0))
    assert response == msk(2026, 12, 8, 10, 0)


def test_holidays_are_skipped_dated_and_yearly() -> None:
    # 31 Dec 2026 (Thu) 17:00 + 4h: 1h on Thursday, 1 Jan is a holiday, 3h on Monday 4 Jan.
    response, _ = sla.due_times(level(), "low", msk(2026, 12, 31, 17, 0))
    assert response == msk(2027, 1, 4, 12, 0)
    # "05-09" is a holiday every year: Friday 8 May 2026, 17:00 + 4h -> Monday 11 May 12:00.
    response, _ = sla.due_times(level(), "low", msk(2026, 5, 8, 17, 0))
    assert response == msk(2026, 5, 11, 12, 0)


def test_around_the_clock_and_missing_targets() -> None:
    start = dt.datetime(2026, 12, 5, 23, 0, tzinfo=dt.UTC)
    response, resolve = sla.due_times(level(business_hours=""), "high", start)
    assert response == start + dt.timedelta(hours=1)
    assert resolve == start + dt.timedelta(days=2)
    assert sla.due_times(level(), "low", start)[1] is None  # no resolve target
    assert sla.due_times(level(), "medium", start) == (None, None)


def cfg_of(data: dict[str, Any]) -> config_mod.Config:
    return config_mod.from_dict(data)


def test_criticality_from_headers_and_keywords() -> None:
    cfg = cfg_of({})
    assert catalog.default_level(cfg) == "medium"
    crit = classify.criticality_for
    assert crit(cfg, {}, "Принтер", "не печатает") == "medium"
    assert crit(cfg, {"importance": "High"}, "x", "y") == "high"
    assert crit(cfg, {"x-priority": "1 (Highest)"}, "x", "y") == "high"
    assert crit(cfg, {"priority": "urgent"}, "x", "y") == "high"
    assert crit(cfg, {"x-priority": "5"}, "x", "y") == "low"
    assert crit(cfg, {"importance": "low"}, "СРОЧНО: почта", "y") == "high"  # keyword wins
    assert crit(cfg, {}, "вопрос", "Это несрочно") == "medium"  # not a word start
    custom = cfg_of(
        {
            "criticality": [
                {"name": "p3"},
                {"name": "p2", "keywords": ["сбой"]},
                {"name": "p1", "keywords": ["авария"]},
            ],
            "tickets": {"default_criticality": "p3", "priority_headers": False},
        }
    )
    assert crit(custom, {"importance": "high"}, "x", "y") == "p3"
    assert crit(custom, {}, "Сбой и авария", "") == "p1"
    assert crit(custom, {}, "сбой", "") == "p2"


def test_category_by_intake_address() -> None:
    cfg = cfg_of({"categories": [{"name": "printers", "addresses": ["Printers@Example.com"]}]})
    addrs = classify.intake_addresses(["printers+x@example.com"], ["support@example.com"])
    assert addrs == ["printers@example.com", "support@example.com"]
    assert classify.category_for(cfg, addrs, "") == "printers"
    assert classify.category_for(cfg, ["support@example.com"], "mailbox-cat") == "mailbox-cat"


def test_rule_matching_and_fallbacks() -> None:
    cfg = cfg_of(
        {
            "tickets": {"default_assignee": "last@example.com"},
            "groups": [{"name": "board", "members": ["@board.example.com"]}],
            "categories": [{"name": "printers", "assignee": "pr@example.com"}, {"name": "mail"}],
            "sla": [{"name": "vip", "groups": ["board"], "assignee": "vip@example.com"}],
            "rules": [
                {
                    "name": "vpn",
                    "keywords": ["vpn"],
                    "criticality": ["high"],
                    "assignee": "net@example.com",
                },
                {
                    "domains": ["branch.example.com"],
                    "categories": ["mail"],
                    "assignee": "branch@example.com",
                },
            ],
        }
    )
    facts = rules.Facts(category="mail", criticality="high", subject="VPN down", sender="a@x.org")
    assert rules.choose_assignee(cfg, facts) == ("net@example.com", "rule vpn")
    facts.criticality = "low"  # the first rule no longer matches (conditions are ANDed)
    assert rules.choose_assignee(cfg, facts)[0] == "last@example.com"
    facts.sender = "x@Branch.example.com"
    assert rules.choose_assignee(cfg, facts) == ("branch@example.com", "rule #2")
    facts = rules.Facts(category="printers", sender="a@x.org")
    assert rules.choose_assignee(cfg, facts)[0] == "pr@example.com"
    facts = rules.Facts(category="mail", groups=["board"], sender="ceo@board.example.com")
    assert rules.choose_assignee(cfg, facts)[0] == "vip@example.com"
    assert rules.choose_assignee(cfg_of({}), facts) == (
        "",
        "no rule, category, SLA level or default names an assignee",
    )


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    db = Database(url)
    with db.write() as s:
        yield s
    db.dispose()


def test_roles_from_users_groups_and_domains(session: Session) -> None:
    cfg = cfg_of(
        {
            "groups": [
                {"name": "it", "role": "agent", "members": ["@it.example.com"]},
                {"name": "blocked", "role": "denied", "members": ["spammer@x.org"]},
                {"name": "auditors", "role": "demo"},
            ]
        }
    )
    session.add_all(
        [
            User(email="boss@example.com", role="admin"),
            User(email="aud@example.com", role="client", group="auditors"),
            User(email="spammer@x.org", role="client"),
        ]
    )
    session.flush()
    assert roles.role_of(session, cfg, "Boss@Example.com") == "admin"
    assert roles.role_of(session, cfg, "new@it.example.com") == "agent"  # not yet a user
    assert roles.role_of(session, cfg, "spammer@x.org") == "denied"  # registered as client
    assert roles.role_of(session, cfg, "aud@example.com") == "demo"  # the user's own group
    assert roles.role_of(session, cfg, "someone@else.org") == "client"
    assert roles.groups_of(cfg, "a@it.example.com") == ["it"]
    session.add(User(email="x@it.example.com", role="client"))
    session.flush()
    assert [u.email for u in roles.staff(session, cfg)] == ["boss@example.com", "x@it.example.com"]
    assert [u.email for u in roles.admins(session, cfg)] == ["boss@example.com"]


def test_cached_staff_takes_in_new_users_and_forgets_on_rollback(session: Session) -> None:
    cfg = cfg_of({"groups": [{"name": "it", "role": "agent", "members": ["@it.example.com"]}]})
    session.add(User(email="boss@example.com", role="admin"))
    session.flush()
    assert [u.email for u in roles.staff(session, cfg)] == ["boss@example.com"]
    tickets.get_or_create_user(session, "new@it.example.com")  # staff by group
    tickets.get_or_create_users(session, [("client@example.com", ""), ("b@it.example.com", "")])
    expected = ["boss@example.com", "new@it.example.com", "b@it.example.com"]
    assert [u.email for u in roles.staff(session, cfg)] == expected
    assert [u.email for u in roles.admins(session, cfg)] == ["boss@example.com"]
    savepoint = session.begin_nested()
    tickets.get_or_create_user(session, "gone@it.example.com")
    savepoint.rollback()  # the cached lists held the user the rollback took away
    assert [u.email for u in roles.staff(session, cfg)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Спасибо!",
        "Thanks, it works",
        "спасибо, всё работает",
        "Большое спасибо!\n\nИван",
        "thank you very much",
        "Спасибо, теперь всё работает!",
    ],
)
def test_thanks_only(text: str) -> None:
    assert is_thanks_only(text)


@pytest.mark.parametrize(
    "text",
    [
        "Спасибо, но принтер снова не печатает",
        "Thanks, but it still fails",
        "",
        "Не работает",
        "спасибо. Ещё вопрос: как настроить VPN?",
    ],
)
def test_not_only_thanks(text: str) -> None:
    assert not is_thanks_only(text)


def test_configured_thanks_phrase() -> None:
    assert is_thanks_only("Вопрос закрыт", ["вопрос закрыт"])


def test_status_lookup_by_label_and_defaults() -> None:
    cfg = cfg_of({})
    assert catalog.find_status(cfg, "В стадии решения").name == "in_progress"
    assert catalog.find_status(cfg, "IN PROGRESS").name == "in_progress"
    assert catalog.find_status(cfg, "принято к рассмотрению").name == "accepted"
    assert catalog.closing_status(cfg) == "resolved"
    with pytest.raises(InvalidValue) as err:
        catalog.find_status(cfg, "done")
    assert err.value.what == "status" and "waiting" in err.value.allowed
    assert catalog.ratings(cfg)[0] == "Ответ устраивает"


def test_config_validation_names_every_problem() -> None:
    with pytest.raises(ConfigError) as err:
        config_mod.from_dict(
            {
                "tickets": {
                    "answer_status": "working",
                    "default_criticality": "extreme",
                    "default_assignee": "nobody",
                },
                "statuses": [{"name": "new", "closed": True}, {"name": "new"}],
                "groups": [{"name": "g", "role": "boss", "members": ["example.com"]}],
                "sla": [
                    {
                        "name": "x",
                        "groups": ["nope"],
                        "business_hours": "9-18",
                        "timezone": "Mars/Base",
                        "holidays": ["1 May"],
                        "targets": [{"criticality": "urgent", "response": "soon"}],
                    }
                ],
                "rules": [{"categories": ["ghost"], "criticality": ["extreme"]}],
                "ratings": [{"label": ""}],
            }
        )
    problems = "\n".join(err.value.problems)
    for expected in (
        "[tickets] answer_status: unknown status 'working'",
        "[tickets] default_criticality: unknown level 'extreme'",
        "[tickets] default_assignee: not an email address",
        "[[statuses]] #2 name: 'new' is listed twice",
        "[[statuses]] #1: the first status is a new ticket's and cannot be closed",
        "[[groups]] #1 role: must be one of",
        "[[groups]] #1 members: not an email or @domain",
        "[[sla]] #1 groups: unknown group 'nope'",
        "[[sla]] #1 business_hours: expected HH:MM-HH:MM",
        "[[sla]] #1 timezone: unknown time zone 'Mars/Base'",
        "[[sla]] #1 holidays: expected YYYY-MM-DD or MM-DD",
        "[[sla]] #1 targets #1 criticality: unknown level 'urgent'",
        "[[sla]] #1 targets #1 response: not a duration",
        "[[rules]] #1 categories: unknown category 'ghost'",
        "[[rules]] #1 criticality: unknown level 'extreme'",
        "[[rules]] #1 assignee: a rule needs an assignee",
        "[[ratings]] #1 label: must not be empty",
    ):
        assert expected in problems, expected
