"""Held spam that nobody released is learned as spam after `[spam] confirm_hours`, once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from gateway.spam import release
from gateway.spam.confirm import confirm_held
from gateway.spam.jobs import run_confirm
from gateway.store.model import Inbound, SpamLearning, SpamModelState, utcnow
from tests.spam.conftest import Desk
from tests.spam.corpus import spam

LATER = dt.timedelta(hours=49)  # past the default confirm_hours of 48


def _confirm(desk: Desk, after: dt.timedelta) -> int:
    with desk.db.write() as s:
        return confirm_held(s, desk.services, utcnow() + after)


def _version(desk: Desk) -> int:
    with desk.db.read() as s:
        return int(s.scalar(select(SpamModelState.version)) or 0)


def test_unreleased_held_mail_is_learned_once_after_the_delay(desk: Desk) -> None:
    first = spam(1001)
    twin = first.replace(b"Subject: ", b"Subject: Re: ").replace(b"<t", b"<w")
    row_id = desk.take(first)
    assert desk.inbound(row_id).state == "held"
    assert _confirm(desk, dt.timedelta(hours=1)) == 0  # too soon: agents may still release it
    before, version = desk.score(twin), _version(desk)
    assert _confirm(desk, LATER) == 1
    learned = desk.count(SpamLearning, SpamLearning.kind == "confirm")
    assert learned == 1 and _version(desk) == version + 1
    assert desk.score(twin) > before
    assert desk.inbound(row_id).state == "held"  # still listed and releasable
    assert _confirm(desk, LATER) == 0  # never twice
    assert _version(desk) == version + 1


def test_released_mail_is_not_confirmed_and_a_late_release_teaches_ham(desk: Desk) -> None:
    released = desk.take(spam(1002))
    kept = desk.take(spam(1003))
    with desk.db.write() as s:
        row = s.get(Inbound, released)
        assert row is not None
        release(s, desk.services, row, "alice@example.com")
    desk.runner.drain()
    assert _confirm(desk, LATER) == 1  # only the one still held
    with desk.db.read() as s:
        confirmed = s.scalars(select(SpamLearning.inbound_id).where(SpamLearning.kind == "confirm"))
        assert list(confirmed) == [kept]
    with desk.db.write() as s:  # released after its confirmation: learned as ham
        row = s.get(Inbound, kept)
        assert row is not None
        release(s, desk.services, row, "alice@example.com")
    kinds = [(k.kind, k.is_spam) for k in _learned(desk, kept)]
    assert kinds == [("confirm", True), ("correction", False)]


def _learned(desk: Desk, inbound_id: int) -> list[SpamLearning]:
    with desk.db.read() as s:
        return list(
            s.scalars(
                select(SpamLearning)
                .where(SpamLearning.inbound_id == inbound_id)
                .order_by(SpamLearning.id)
            )
        )


def test_confirm_hours_zero_learns_nothing(tmp_path: Path, trained_model: bytes) -> None:
    desk = Desk(tmp_path, "[spam]\nconfirm_hours = 0\n")
    desk.install(trained_model)
    assert desk.inbound(desk.take(spam(1004))).state == "held"
    assert _confirm(desk, dt.timedelta(days=365)) == 0
    desk.db.dispose()


def test_a_model_that_does_not_load_is_left_alone(desk: Desk) -> None:
    desk.take(spam(1005))
    desk.install(b"HDSPAM\x00\x01garbage")
    assert _confirm(desk, LATER) == 0
    with desk.db.read() as s:
        assert s.scalar(select(SpamModelState.data)) == b"HDSPAM\x00\x01garbage"


def test_the_job_confirms_what_is_due(desk: Desk) -> None:
    row_id = desk.take(spam(1006))
    with desk.db.write() as s:  # held two days ago
        row = s.get(Inbound, row_id)
        assert row is not None and row.processed_at is not None
        row.processed_at = row.processed_at - LATER
    assert run_confirm(desk.db, desk.services) == 1
    assert run_confirm(desk.db, desk.services) == 0


def test_a_database_that_is_down_loses_nothing(desk: Desk, tmp_path: Path) -> None:
    from gateway.store.db import Database

    row_id = desk.take(spam(1007))
    with desk.db.write() as s:
        row = s.get(Inbound, row_id)
        assert row is not None and row.processed_at is not None
        row.processed_at = row.processed_at - LATER
    down = Database(f"sqlite:///{tmp_path / 'no-such-dir' / 'helpdesk.db'}", busy_timeout=0.1)
    assert run_confirm(down, desk.services) == 0  # logged, left to the next run
    down.dispose()
    assert desk.inbound(row_id).state == "held"
    assert desk.count(SpamLearning, SpamLearning.kind == "confirm") == 0
    assert run_confirm(desk.db, desk.services) == 1  # the next run, with the database back
