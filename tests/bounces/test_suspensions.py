"""Suspensions kept by their cause: a later bounce does not rewrite why an address was
suspended, a complaint outweighs a bounce suspension, lifting resets the count."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gateway.store import suspensions
from gateway.store.db import Database, upgrade
from gateway.store.model import Suspension

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def test_causes_are_kept_and_lifted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    db = Database(url)
    with db.write() as s:
        email = "Olga@Почта.example.ru"
        assert not suspensions.count_bounce(s, email, "mailboxfull", "4.2.2", False, None, 2, T0)
        assert suspensions.count_bounce(
            s, email, "mailboxfull", "4.2.2", False, None, 2, T0 + dt.timedelta(hours=1)
        )
        # Bounces after the suspension leave its cause as it was.
        assert not suspensions.count_bounce(s, email, "userunknown", "5.1.1", True, None, 2)
        [held] = suspensions.suspended(s)
        assert held.email == "olga@почта.example.ru"
        assert held.why == "2 soft bounces (mailboxfull)"
        assert held.since is not None and held.since.replace(tzinfo=dt.UTC) == T0 + dt.timedelta(
            hours=1
        )
        # A complaint is the cause an administrator must see; the date stays.
        assert not suspensions.complain(s, email, "abuse", None)
        [held] = suspensions.suspended(s)
        assert held.why == "complaint (abuse)"
        assert suspensions.lift(s, "  OLGA@почта.example.ru ") is not None
        assert suspensions.suspended(s) == []
        row = s.get(Suspension, "olga@почта.example.ru")
        assert row is not None and row.soft_count == 0
        assert suspensions.lift(s, "olga@почта.example.ru") is None
    db.dispose()
