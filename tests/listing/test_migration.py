"""Migration 0009 from every earlier revision, with tickets and messages already there:
the rows are found by the new indexes and by full-text search, and it goes down again.
SQLite and a real PostgreSQL cluster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Boolean, DateTime, Integer, MetaData, Table, create_engine, inspect
from sqlalchemy.engine import Connection

from gateway.store import fts_terms, listing
from gateway.store.db import Database, alembic_config
from gateway.store.views import TicketFilter
from tests.postgres import private_postgres

EARLIER = ("0001", "0002", "0003", "0004", "0008", "0005")
NEW_INDEXES = {
    "ix_tickets_assignee",
    "ix_tickets_closed",
    "ix_tickets_indicator",
    "ix_tickets_category",
    "ix_tickets_criticality",
    "ix_tickets_updated",
}


def _filled(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """`values`, and something of the right type in every other required column (the
    schema of an earlier revision has columns this test need not know)."""
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        if isinstance(column.type, Boolean):
            row[column.name] = False
        elif isinstance(column.type, Integer):
            row[column.name] = 0
        elif isinstance(column.type, DateTime):
            row[column.name] = dt.datetime(2025, 3, 1, 12, 0)
        elif column.type.python_type is dict or column.type.python_type is list:
            row[column.name] = [] if column.type.python_type is list else {}
        else:
            row[column.name] = ""
    return row


def _seed(conn: Connection) -> None:
    meta = MetaData()
    users = Table("users", meta, autoload_with=conn)
    tickets = Table("tickets", meta, autoload_with=conn)
    messages = Table("messages", meta, autoload_with=conn)
    people = ["ivan@corp.example.ru", "olga@почта.рф", "bob@mail.example.com"]
    for i, email in enumerate(people, 1):
        conn.execute(users.insert(), _filled(users, {"id": i, "email": email}))
    subjects = ["Не работает принтер", "VPN drops every hour", "Quota of the mailbox"]
    bodies = ["Замятие бумаги в лотке", "The tunnel resets at 10:00", "Outlook: mailbox full"]
    for i, (subject, body) in enumerate(zip(subjects, bodies, strict=True), 1):
        conn.execute(
            tickets.insert(),
            _filled(
                tickets,
                {
                    "id": i,
                    "subject": subject,
                    "requester_id": i,
                    "status": "closed" if i == 3 else "new",
                    "closed": i == 3,
                    "last_public_by": "agent" if i == 2 else "requester",
                },
            ),
        )
        conn.execute(
            messages.insert(),
            _filled(messages, {"id": i, "ticket_id": i, "full_text": body, "subject": subject}),
        )


def _check(url: str) -> None:
    db = Database(url)
    try:
        names = {ix["name"] for ix in inspect(db.engine).get_indexes("tickets")}
        assert names >= NEW_INDEXES
        with db.read() as s:
            if url.startswith("sqlite"):  # the search terms filled, in step with the index
                assert fts_terms.in_step(s.connection())
                assert "бумаги" in fts_terms.match(s.connection(), "бумаг")

            def found(**kw: Any) -> list[str]:
                rows = listing.page(s, TicketFilter(**kw), "HD").rows
                return [r["subject"] for r in rows]

            assert found(text="бумаги") == ["Не работает принтер"]
            assert found(text="tunnel") == ["VPN drops every hour"]
            assert found(title="mailbox") == ["Quota of the mailbox"]
            assert found(indicator="red") == ["VPN drops every hour"]
            assert found(open=True) == ["VPN drops every hour", "Не работает принтер"]
            assert found(requester="olga@почта.рф") == ["VPN drops every hour"]
    finally:
        db.dispose()


def _run(url: str, start: str) -> None:
    cfg = alembic_config(url)
    command.upgrade(cfg, start)
    engine = create_engine(url)
    with engine.begin() as conn:
        _seed(conn)
    engine.dispose()
    command.upgrade(cfg, "head")
    _check(url)
    command.check(cfg)
    # Down to where it started and up again: the data stays, the search is rebuilt.
    command.downgrade(cfg, start)
    command.upgrade(cfg, "head")
    _check(url)


@pytest.mark.parametrize("start", EARLIER)
def test_sqlite_from_every_earlier_revision(tmp_path: Any, start: str) -> None:
    _run(f"sqlite:///{tmp_path}/h.db", start)


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    with private_postgres() as url:
        yield url


@pytest.mark.parametrize("start", EARLIER)
def test_postgresql_from_every_earlier_revision(pg_server: str, start: str) -> None:
    engine = create_engine(pg_server)
    with engine.begin() as conn:  # a clean database for each starting point
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    _run(pg_server, start)
