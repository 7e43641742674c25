"""SQLite connections get the page cache `[database] cache_mib` asks for (64 MiB by
default, SQLite's own 2 MiB with 0): at a million tickets the indexes a new ticket writes
do not fit in SQLite's own, and each page that fell out is read again."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.settings import config as config_mod
from gateway.store.db import Database


def _cache_size(db: Database) -> int:
    with db.engine.connect() as conn:
        size = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    db.dispose()
    return int(size)


def test_connections_get_64_mib_by_default(tmp_path: Path) -> None:
    assert _cache_size(Database(f"sqlite:///{tmp_path}/h.db")) == -64 * 1024


def test_the_configured_size_and_sqlites_own(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    cfg = config_mod.from_dict({"database": {"url": url, "cache_mib": 8}})
    assert _cache_size(Database.from_config(cfg)) == -8 * 1024
    cfg = config_mod.from_dict({"database": {"url": url, "cache_mib": 0}})
    assert _cache_size(Database.from_config(cfg)) == -2000  # SQLite's default


def test_a_negative_size_is_named() -> None:
    with pytest.raises(ConfigError) as err:
        config_mod.from_dict({"database": {"cache_mib": -1}})
    assert any("[database] cache_mib" in p for p in err.value.problems)
