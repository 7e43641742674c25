"""Several daemons on one PostgreSQL database run the escalation check: each milestone is
done once and mailed once, whoever runs the tick (an advisory lock; time passed in)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.desk import actions
from gateway.escalation.check import CheckResult, run_check
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.store import tickets
from gateway.store.db import Database, upgrade
from gateway.store.model import Event, Outbox, User
from tests.desk.test_sla_clock import CFG, msk
from tests.postgres import private_postgres


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with private_postgres() as url:
        upgrade(url)
        yield url


def test_two_checkers_escalate_each_ticket_once(tmp_path: Path, pg_url: str) -> None:
    cfg = config_mod.from_dict(CFG)
    cfg.base_dir = tmp_path
    services = Services.from_config(cfg)
    db = Database(pg_url)
    with db.write() as s:
        s.add_all([User(email=a.email, name=a.name, role=a.role) for a in cfg.agents])
    with db.write() as s:
        bob = tickets.get_or_create_user(s, "bob@example.com")
        for n in range(40):
            requester = tickets.get_or_create_user(s, f"user{n}@firma.ru")
            t = tickets.create_ticket(
                s, subject=f"Сеть {n}", requester=requester, status="new",
                criticality="high", category="", source="smtp",
            )  # fmt: skip
            t.created_at = msk(12, 1, 10)
            actions.apply_sla(s, services, t, "std", "rules")
            actions.set_assignee(s, t, bob, "rules")
    # One checker holds the tick's lock: the other skips it rather than wait or repeat.
    holder = db.session()
    try:
        first = run_check(holder, services, msk(12, 1, 10, 50))
        with db.write() as s:
            blocked = run_check(s, services, msk(12, 1, 10, 50))
        holder.commit()
    finally:
        holder.close()
    assert first.tickets == 40 and not first.skipped
    assert blocked.skipped
    # Then many ticks from two daemons at once, up to past the breach.
    results: list[CheckResult] = []
    lock = threading.Lock()

    def daemon(minutes: list[int]) -> None:
        own = Database(pg_url)
        for m in minutes:
            with own.write() as s:
                r = run_check(s, services, msk(12, 1, 10) + dt.timedelta(minutes=m))
            with lock:
                results.append(r)
        own.dispose()

    threads = [threading.Thread(target=daemon, args=([51, 55, 61, 62, 70],)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with db.read() as s:
        marks = Counter(
            s.execute(select(Event.ticket_id, Event.new).where(Event.kind == "escalation")).all()
        )
        sent = list(s.scalars(select(Outbox.rcpt_to).where(Outbox.kind == "escalation")))
    assert len(marks) == 80 and set(marks.values()) == {1}  # warn + breach per ticket, once
    # One warning mail to bob; one breach mail to bob and one to the admin.
    assert sorted(r[0] for r in sent) == ["alice@example.com", "bob@example.com", "bob@example.com"]
    assert sum(r.milestones for r in results) == 40
    db.dispose()
