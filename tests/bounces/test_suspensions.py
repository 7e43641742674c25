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


def test_listing_is_one_statement_however_many(tmp_path: Path) -> None:
    """The listing joins each suspension's bounce and its outgoing mail: one statement for
    forty addresses, where a query per bounce grew with the list."""
    from sqlalchemy import event

    from gateway.store.model import Bounce, Inbound, Outbox

    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    db = Database(url)
    domains = ("corp.example", "почта.test", "mail.example.de", "büro.example")
    with db.write() as s:
        for i in range(40):
            report = Inbound(source="smtp", size=10, sha256=f"{i:064x}")
            sent = Outbox(
                kind="answer",
                mail_from="support@example.com",
                rcpt_to=[],
                message_id=f"<{i}@x>",
                raw=b"",
            )
            s.add_all([report, sent])
            s.flush()
            bounce = Bounce(
                inbound_id=report.id,
                outbox_id=sent.id if i % 2 else None,
                reason="userunknown",
                status="5.1.1",
                hard=True,
            )
            s.add(bounce)
            s.flush()
            email = f"user{i}@{domains[i % len(domains)]}"
            suspensions.count_bounce(
                s,
                email,
                "userunknown",
                "5.1.1",
                True,
                bounce.id if i % 3 else None,
                3,
                T0 + dt.timedelta(minutes=i),
            )
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with db.read() as s:
        listed = suspensions.suspended(s)
    selects = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, statements
    assert len(listed) == 40
    assert listed[0].email == "user39@büro.example"  # the latest suspended first
    with_bounce = [h for h in listed if h.bounce is not None]
    assert len(with_bounce) == len([i for i in range(40) if i % 3])
    assert all(h.bounce.reason == "userunknown" for h in with_bounce if h.bounce)
    assert all(h.ticket_id is None for h in listed)
    db.dispose()
