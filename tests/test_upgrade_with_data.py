"""`db upgrade` of a SQLite database that holds data, from every earlier revision.

The revisions come from the migrations' script directory, so a migration added later is
covered without touching this test. At each revision every table of that revision gets
rows (parents before children, foreign keys pointing at real rows), the database is
upgraded to the head, and the rows must all still be there, with no foreign key broken.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    func,
    insert,
    select,
)

from gateway.store import search
from gateway.store.db import alembic_config, upgrade

SCRIPTS = ScriptDirectory.from_config(alembic_config("sqlite://"))
HEAD = SCRIPTS.get_current_head()
EARLIER = [s.revision for s in reversed(list(SCRIPTS.walk_revisions())) if s.revision != HEAD]
ROWS = 3
NOW = dt.datetime(2026, 3, 1, 9, 30)


def value(table: Table, column: Any, n: int, pks: dict[str, list[Any]]) -> Any:
    """A plausible value for `column` in row `n`; a foreign key names a parent's row."""
    for fk in column.foreign_keys:
        parents = pks.get(fk.column.table.name)
        if parents:
            return parents[n % len(parents)]
        return None
    kind = column.type
    if isinstance(kind, Boolean):
        return n % 2 == 0
    if isinstance(kind, Integer):
        return n + 1
    if isinstance(kind, Float | Numeric):
        return 0.25 * (n + 1)
    if isinstance(kind, DateTime):
        return NOW + dt.timedelta(hours=n)
    if isinstance(kind, Date):
        return NOW.date()
    if isinstance(kind, LargeBinary):
        return f"From: ivan@corp.example.org\r\nSubject: Тест {n}\r\n\r\nтекст".encode()
    if isinstance(kind, JSON):
        return ["support@example.com"]
    if isinstance(kind, String | Text):
        text = f"{table.name}-{column.name}-{n}-Пётр@пример.рф"
        length = getattr(kind, "length", None)
        return text[:length] if length else text
    raise AssertionError(f"no test value for {table.name}.{column.name} ({kind!r})")


def populate(url: str) -> dict[str, int]:
    """Rows in every table of the database's current revision; the counts by table."""
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    pks: dict[str, list[Any]] = {}
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            # The full-text tables are an index the product keeps (gateway.store.search).
            if table.name == "alembic_version" or table.name.startswith(search.FTS_PREFIX):
                continue
            pk = next(iter(table.primary_key.columns), None)
            # Rows a migration seeded stay, and the new ones come after them.
            present = conn.scalar(select(func.count()).select_from(table)) or 0
            for n in range(present, present + ROWS):
                row = {c.name: value(table, c, n, pks) for c in table.columns}
                if pk is not None and isinstance(pk.type, Integer):
                    row[pk.name] = n + 1
                conn.execute(insert(table).values(row))
                if pk is not None:
                    pks.setdefault(table.name, []).append(row[pk.name])
            counts[table.name] = present + ROWS
    engine.dispose()
    return counts


@pytest.mark.parametrize("revision", EARLIER)
def test_upgrade_to_head_keeps_every_row(tmp_path: Path, revision: str) -> None:
    url = f"sqlite:///{tmp_path / 'helpdesk.db'}"
    command.upgrade(alembic_config(url), revision)
    counts = populate(url)
    assert counts, "no table to populate"
    upgrade(url)
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        for name, count in counts.items():
            if name in meta.tables:  # a later revision may drop or merge a table
                assert conn.scalar(select(func.count()).select_from(meta.tables[name])) == count
    engine.dispose()


def test_all_revisions_listed() -> None:
    assert EARLIER and EARLIER[0] == "0001" and HEAD not in EARLIER


def test_broken_foreign_keys_leave_the_database_as_it_was(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gateway.cli.main import main
    from tests.harness import write_config

    config = write_config(tmp_path)
    url = f"sqlite:///{tmp_path / 'var' / 'helpdesk.db'}"
    (tmp_path / "var").mkdir()
    command.upgrade(alembic_config(url), EARLIER[0])
    populate(url)
    engine = create_engine(url)
    with engine.begin() as conn:  # foreign keys are not enforced on this plain engine
        conn.exec_driver_sql("UPDATE events SET ticket_id = 999 WHERE id = 1")
        before = conn.exec_driver_sql("SELECT sql FROM sqlite_master ORDER BY name").all()
    result = CliRunner().invoke(main, ["--config", str(config), "db", "upgrade"])
    assert result.exit_code == 1
    assert "broken foreign key" in result.output and "events -> tickets" in result.output
    assert "Traceback" not in result.output
    with engine.connect() as conn:
        assert (
            conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == (EARLIER[0])
        )
        assert conn.exec_driver_sql("SELECT sql FROM sqlite_master ORDER BY name").all() == before
    engine.dispose()
