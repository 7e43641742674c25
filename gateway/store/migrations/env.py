"""Alembic environment: runs migrations on the URL the helpdesk passes in."""

from __future__ import annotations

from alembic import context

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
        context.configure(
            connection=connection, target_metadata=target_metadata,
            render_as_batch=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
