"""The Alembic migrations build exactly the schema of the models, and the spool's hot
queries use their indexes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import event

from gateway.intake.imap.checkpoint import already_spooled
from gateway.store.db import Database, alembic_config, upgrade


def test_migrations_match_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    command.check(alembic_config(url))  # raises when the models differ from the schema


def test_dedupe_lookups_use_the_partial_index(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    db = Database(url)
    with db.engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM inbound WHERE dedupe_key = ? AND id != ?",
            ("k", 1),
        ).all()
        definition = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_inbound_dedupe'"
        ).scalar_one()
    db.dispose()
    assert "ix_inbound_dedupe" in " ".join(str(row) for row in plan)
    assert "WHERE dedupe_key IS NOT NULL" in definition


def test_imap_content_lookups_use_the_partial_index(tmp_path: Path) -> None:
    """The statement already_spooled sends is planned on the partial index."""
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    db = Database(url)
    sent: list[str] = []

    def capture(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    with db.read() as session:
        assert already_spooled(session, "imap:support", ["b" * 64]) == set()
    event.remove(db.engine, "before_cursor_execute", capture)
    (lookup,) = [s for s in sent if "sha256" in s]
    with db.engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + lookup, ("imap:support", "b" * 64))
        steps = " ".join(str(row) for row in plan.all())
    db.dispose()
    assert "ix_inbound_source_sha256" in steps, steps


def test_suspended_addresses_are_listed_by_their_index(tmp_path: Path) -> None:
    """`users suspended` reads the suspended rows by the index, not every address."""
    from gateway.store import suspensions

    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    db = Database(url)
    sent: list[str] = []

    def capture(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    with db.read() as session:
        assert suspensions.suspended(session) == []
    event.remove(db.engine, "before_cursor_execute", capture)
    (lookup,) = [s for s in sent if "FROM suspensions" in s]
    with db.engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + lookup)
        steps = " ".join(str(row) for row in plan.all())
    db.dispose()
    assert "ix_suspensions_suspended" in steps, steps
    assert "SCAN suspensions" not in steps, steps
