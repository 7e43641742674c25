"""No index is another's leading columns: such an index costs every write and serves no
look-up the longer one does not (migration 0025 dropped the three there were)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from gateway.store.db import alembic_config, upgrade

DROPPED = {
    "ix_tickets_created_at": ("tickets", ("created_at",)),
    "ix_tickets_resolved_at": ("tickets", ("resolved_at",)),
    "ix_messages_ticket": ("messages", ("ticket_id",)),
}


def _indexes(path: Path) -> dict[str, tuple[str, tuple[str, ...], bool, bool]]:
    """name -> (table, columns, unique, partial) of every index of the database."""
    conn = sqlite3.connect(path)
    try:
        found = {}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for _, name, unique, _origin, partial in conn.execute(f"PRAGMA index_list('{table}')"):
                columns = tuple(r[2] for r in conn.execute(f"PRAGMA index_info('{name}')"))
                found[name] = (table, columns, bool(unique), bool(partial))
        return found
    finally:
        conn.close()


def test_no_index_is_the_leading_columns_of_another(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    upgrade(f"sqlite:///{path}")
    indexes = _indexes(path)
    redundant = [
        (name, other)
        for name, (table, columns, unique, partial) in indexes.items()
        for other, (table2, columns2, _, partial2) in indexes.items()
        if other != name
        and table2 == table
        and not unique
        and not partial
        and not partial2
        and columns2[: len(columns)] == columns
    ]
    assert redundant == []


def test_downgrade_recreates_the_dropped_indexes(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    url = f"sqlite:///{path}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0024")
    before = _indexes(path)
    assert {name: before[name][:2] for name in DROPPED} == DROPPED
    command.upgrade(cfg, "0025")
    assert not set(DROPPED) & set(_indexes(path))
    command.downgrade(cfg, "0024")
    assert _indexes(path) == before
