"""The agents' context reads by index: the card, the other open tickets, the held answers,
the incremental index refresh — none scans a table that grows with the tickets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event

from gateway.desk import double
from gateway.directory.card import card
from gateway.similar import categories, solved
from gateway.store import tickets
from gateway.store.db import Database, upgrade
from gateway.store.model import Message

GROWING = ("tickets", "messages", "events", "message_refs", "text_examples", "directory")


def test_no_scan_of_a_growing_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    db = Database(url)
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    with db.write() as s:
        user = tickets.get_or_create_user(s, "ivan@corp.example.ru", "Иван")
        agent = tickets.get_or_create_user(s, "alice@example.com", "Alice")
        ticket = tickets.create_ticket(
            s, subject="Принтер", requester=user, source="smtp", category="", criticality="low",
            status="new",
        )  # fmt: skip
        msg = Message(ticket_id=ticket.id, author_id=agent.id, kind="answer", body="x")
        s.add(msg)
        s.flush()
        event.listen(db.engine, "before_cursor_execute", record)
        card(s, user, ticket, "HD", full=True)
        double.other_answer(s, ticket, agent, ["a@b"], msg)
        double.held_by(s, ticket, agent)
        solved.similar(s, url, "HD", "принтер", 3, 0.0)
        categories.guess(s, url, "принтер", 0, 0.0)
        event.remove(db.engine, "before_cursor_execute", record)
        assert len(seen) >= 6
        conn = s.connection().connection.driver_connection
        assert conn is not None
        for statement, params in seen:
            plan = " ".join(
                str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + statement, params)
            )
            for table in GROWING:
                assert f"SCAN {table}" not in plan.replace("SCAN TABLE", "SCAN"), (statement, plan)
    db.dispose()


def test_other_open_tickets_read_one_range_of_an_index(tmp_path: Path) -> None:
    # "SEARCH tickets USING INDEX ix_tickets_closed (closed=?)" is no scan by name, but it
    # walks every open ticket of the desk testing the requester: both conditions must be
    # the index's, so that the card reads the requester's few open tickets and no more.
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    db = Database(url)
    plans: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "tickets.requester_id" in statement and statement.lstrip().startswith("SELECT"):
            raw = conn.connection.driver_connection
            rows = raw.execute("EXPLAIN QUERY PLAN " + statement, params)
            plans.append(" ".join(str(row[-1]) for row in rows))

    with db.write() as s:
        user = tickets.get_or_create_user(s, "ivan@corp.example.ru", "Иван")
        first, second = (
            tickets.create_ticket(
                s,
                subject=subject,
                requester=user,
                source="smtp",
                category="",
                criticality="low",
                status="new",
            )
            for subject in ("Принтер", "VPN")
        )
        event.listen(db.engine, "before_cursor_execute", record)
        shown = card(s, user, second, "HD")
        event.remove(db.engine, "before_cursor_execute", record)
    db.dispose()
    assert [t["tag"] for t in shown["open_tickets"]] == [f"HD-{first.id}"]
    assert plans and all("closed=? AND requester_id=?" in p for p in plans), plans
