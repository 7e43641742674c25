"""The scheduled report through its real trigger (APScheduler 3's CronTrigger of
`[reports] schedule` in `timezone`): fire times computed from a passed `now` across a DST
change, and the job run end to end with the clock set; `--by day` and the daily chart
grouped by the report zone's days, around midnight and a DST change."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from gateway.errors import ConfigError
from gateway.reports import schedule, series
from gateway.reports.build import build
from gateway.reports.figures import Period
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.settings import cron
from gateway.store.db import Database, upgrade
from gateway.store.model import KeyValue, Message, Outbox, Ticket, User
from tests.harness import write_config

UTC = dt.UTC
BERLIN = """
[reports]
schedule = "0 8 * * 1"
timezone = "Europe/Berlin"
recipients = ["boss@firma.example", "chef@lab.test"]
period_days = 7
"""


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[Any, Database]]:
    config = write_config(tmp_path, BERLIN)
    (tmp_path / "var").mkdir()
    url = f"sqlite:///{tmp_path / 'var' / 'helpdesk.db'}"
    upgrade(url)
    db = Database(url)
    yield config_mod.load(config), db
    db.dispose()


def _cfg(**reports: str) -> Any:
    return config_mod.from_dict({"reports": reports})


def test_fire_times_follow_the_zone_across_dst() -> None:
    cfg = _cfg(schedule="0 8 * * 1", timezone="Europe/Berlin")
    # Summer time ends on Sunday 25 October 2026: Monday 08:00 is 06:00 UTC before, 07:00 after.
    fires = schedule.next_fires(cfg, utc(2026, 10, 18, 12), 3)
    assert fires == [utc(2026, 10, 19, 6), utc(2026, 10, 26, 7), utc(2026, 11, 2, 7)]
    assert [f.strftime("%A %H:%M") for f in (x.astimezone(cfg_zone(cfg)) for x in fires)] == [
        "Monday 08:00"
    ] * 3
    # Exactly at a fire time the next one is that same moment (APScheduler's inclusive now).
    assert schedule.next_fires(cfg, utc(2026, 10, 26, 7))[0] == utc(2026, 10, 26, 7)
    # 23:30 in Kolkata (UTC+05:30) is 18:00 UTC the same day.
    kolkata = _cfg(schedule="30 23 * * *", timezone="Asia/Kolkata")
    assert schedule.next_fires(kolkata, utc(2026, 3, 29, 0))[0] == utc(2026, 3, 29, 18)
    assert schedule.next_fires(_cfg(schedule=""), utc(2026, 1, 1)) == []


def cfg_zone(cfg: Any) -> dt.tzinfo:
    from gateway.reports import days

    return days.zone(cfg)


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("1", "mon"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("5-7", "sun,fri,sat"),
        ("0,6", "sun,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1/3", "mon,thu"),
        ("mon-wed", "mon,tue,wed"),
        ("SUN", "sun"),
        ("*", "*"),
    ],
)
def test_cron_weekdays_are_crons_not_apschedulers(field: str, names: str) -> None:
    assert cron.weekdays(field) == names


@pytest.mark.parametrize("field", ["8", "5-1", "x", "1/0"])
def test_bad_weekdays_are_refused(field: str) -> None:
    with pytest.raises(ValueError):
        cron.weekdays(field)
    with pytest.raises(ConfigError) as caught:
        _cfg(schedule=f"0 8 * * {field}")
    assert "[reports] schedule: not a cron expression" in str(caught.value)


def _ticket(session: Any, requester: User, created: dt.datetime, **kw: Any) -> Ticket:
    ticket = Ticket(
        subject=kw.pop("subject", "Drucker druckt nicht"),
        requester_id=requester.id,
        status=kw.pop("status", "closed" if kw.get("resolved_at") else "in_progress"),
        closed=kw.get("resolved_at") is not None,
        criticality="medium",
        source="smtp",
        created_at=created,
        updated_at=created,
        **kw,
    )
    session.add(ticket)
    session.flush()
    session.add(Message(ticket_id=ticket.id, author_id=requester.id, kind="request",
                        created_at=created))  # fmt: skip
    ticket.public_messages = 1  # as the pipeline's store stage counts them
    return ticket


def _fill(db: Database) -> None:
    """Tickets around Berlin's midnights and the night summer time ends (25 October)."""
    with db.write() as s:
        anna = User(email="anna@firma.example", name="Anna", role="client")
        s.add(anna)
        s.flush()
        # 23:30 UTC on 23 Oct is 01:30 CEST on the 24th; 22:30 UTC on 24 Oct is 00:30 CEST
        # on the 25th; 23:30 UTC on the 25th is 00:30 CET on the 26th (UTC+1 by then);
        # 22:59 UTC on the 25th is 23:59 CET, still the 25th.
        _ticket(s, anna, utc(2026, 10, 23, 23, 30), first_response_s=60)
        _ticket(s, anna, utc(2026, 10, 24, 22, 30), first_response_s=120,
                resolved_at=utc(2026, 10, 25, 22, 59), resolution_s=3000)  # fmt: skip
        _ticket(s, anna, utc(2026, 10, 25, 22, 59), first_response_s=180)
        _ticket(s, anna, utc(2026, 10, 25, 23, 30), first_response_s=240,
                resolved_at=utc(2026, 10, 25, 23, 45), resolution_s=600)  # fmt: skip


def test_by_day_counts_the_zones_days(desk: tuple[Any, Database]) -> None:
    cfg, db = desk
    _fill(db)
    period = Period(utc(2026, 10, 20), utc(2026, 10, 30))
    with db.read() as session:
        report = build(session, cfg, period, "day")
        load = series.daily(session, cfg, period)
    groups = {g["key"]: g for g in report["groups"]}
    assert sorted(groups) == ["2026-10-24", "2026-10-25", "2026-10-26"]
    assert [groups[d]["opened"] for d in sorted(groups)] == [1, 2, 1]
    assert [groups[d]["closed"] for d in sorted(groups)] == [0, 1, 1]
    assert groups["2026-10-25"]["first_response"]["median_s"] == 150.0
    assert groups["2026-10-26"]["resolution"]["median_s"] == 600.0
    assert {d: v["opened"] for d, v in load.items()} == {
        "2026-10-24": 1, "2026-10-25": 2, "2026-10-26": 1,
    }  # fmt: skip
    assert load["2026-10-25"]["messages"] == 2 and load["2026-10-26"]["closed"] == 0
    # In UTC the same tickets fall on other days.
    utc_cfg = config_mod.from_dict({"reports": {"timezone": "UTC"}})
    with db.read() as session:
        keys = [g["key"] for g in build(session, utc_cfg, period, "day")["groups"]]
    assert keys == ["2026-10-23", "2026-10-24", "2026-10-25"]


def test_the_job_runs_end_to_end_at_its_fire_time(desk: tuple[Any, Database]) -> None:
    cfg, db = desk
    _fill(db)
    services = Services.from_config(cfg)
    scheduler = BackgroundScheduler(timezone="UTC")  # never started: the clock is ours
    schedule.schedule(scheduler, db, services)
    job = scheduler.get_job(schedule.JOB_ID)
    assert isinstance(job.trigger, CronTrigger)
    fire = job.trigger.get_next_fire_time(None, utc(2026, 10, 27, 9))
    assert fire == utc(2026, 11, 2, 7)  # Monday 08:00 CET
    assert job.func(*job.args, now=fire) == 2
    # Another daemon's run of the same tick sends nothing again.
    assert job.func(*job.args, now=fire + dt.timedelta(seconds=20)) == 0
    with db.read() as session:
        rows = list(session.scalars(select(Outbox).order_by(Outbox.id)))
        state = session.get(KeyValue, schedule.STATE_KEY)
    assert [r.rcpt_to for r in rows] == [["boss@firma.example"], ["chef@lab.test"]]
    assert all(r.state == "queued" for r in rows)
    assert state is not None and state.value == {"at": fire.isoformat(), "mails": 2}
    mail = email.message_from_bytes(rows[0].raw, policy=email.policy.default)
    attached = [p for p in mail.walk() if p.get_content_type() == "text/csv"]
    # The week before the fire time: 26 Oct 07:00 UTC to 2 Nov 07:00 UTC.
    assert [p.get_filename() for p in attached] == ["report-2026-10-26-2026-11-02.csv"]
    # The next week's tick sends again.
    later = job.trigger.get_next_fire_time(fire, fire + dt.timedelta(seconds=1))
    assert later == utc(2026, 11, 9, 7)
    assert job.func(*job.args, now=later) == 2


def test_totals_of_sorted_groups_equal_the_merged_values() -> None:
    import random

    from gateway.reports import times

    rnd = random.Random(7)
    for size in (1, 2, 3, 10, 101, 1000):
        groups = [sorted(rnd.randrange(0, 50_000) for _ in range(rnd.randrange(size + 1)))
                  for _ in range(rnd.randrange(1, 6))]  # fmt: skip
        merged = sorted(v for g in groups for v in g)
        expected = times.of(list(merged))
        assert times.of_sorted_groups(groups) == expected
        if merged:
            assert expected.median_s == times.median(merged) and expected.p90_s == times.p90(merged)
