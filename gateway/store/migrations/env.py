"""Alembic environment: runs migrations on the URL the helpdesk passes in.

On SQLite, Alembic's batch mode changes a table by copying it and dropping the old one;
with foreign keys enforced, dropping `tickets` while `events` rows point at it fails
(and a half-migrated schema would be left behind). So foreign keys are switched off for
the whole run (a pragma that SQLite ignores inside a transaction, hence before it), every
migration runs in one transaction, and `PRAGMA foreign_key_check` must find nothing
broken before that transaction commits: either the database reaches the head intact, or
it stays as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alembic import context

from gateway.errors import HelpdeskError
from gateway.store import search
from gateway.store.db import make_engine
from gateway.store.fts_text import PG_COLUMN
from gateway.store.model import Base

config = context.config


def include_name(name: str | None, type_: str, parents: Mapping[Any, str | None]) -> bool:
    """Leave the full-text structures (not models: see gateway.store.search) to their own
    migration, so that a schema check does not report them as extra."""
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(search.FTS_PREFIX)
    if type_ == "index":
        return name not in (*search.PG_INDEXES.values(), *search.PG_EXPRESSION_INDEXES.values())
    if type_ == "column":
        return not (name == PG_COLUMN and parents.get("table_name") in search.PG_SOURCES)
    return True


target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    # BEGIN IMMEDIATE on SQLite: the migration holds the write lock from its first step.
    with engine.execution_options(sqlite_write=True).connect() as connection:
        driver: Any = connection.connection.driver_connection
        if sqlite:
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=True,
                include_name=include_name,
                transaction_per_migration=False,
                # SQLite runs DDL in transactions; Alembic assumes otherwise and commits
                # after each step, which would leave a half-migrated schema on failure.
                transactional_ddl=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys=ON")
    engine.dispose()


def _check_foreign_keys(connection: Any) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        where = ", ".join(sorted({f"{row[0]} -> {row[2]}" for row in broken}))
        raise HelpdeskError(
            f"the migration would leave {len(broken)} broken foreign key(s) ({where}); "
            "the database is left as it was"
        )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
