"""The Alembic migrations build exactly the schema of the models, and the spool's hot
queries use their indexes."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from gateway.db import Database, alembic_config, upgrade


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
