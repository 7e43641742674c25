"""Alembic environment: runs migrations on the URL the helpdesk passes in."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from gateway.store import search
from gateway.store.db import make_engine
from gateway.store.model import Base

config = context.config


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Leave the full-text structures (not models: see gateway.store.search) to their own
    migration, so that a schema check does not report them as extra."""
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(search.FTS_PREFIX)
    if type_ == "index":
        return name not in search.PG_INDEXES
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
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch rebuild drops and recreates a table other tables refer to: with
            # foreign keys enforced that fails as soon as rows refer to it. The pragma
            # only takes effect outside a transaction, hence the raw connection.
            _raw(connection).execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"migration left rows without their parent: {broken}")
        if sqlite:
            _raw(connection).execute("PRAGMA foreign_keys=ON")
    engine.dispose()


def _raw(connection: Connection) -> Any:
    return connection.connection.dbapi_connection


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
