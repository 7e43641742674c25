"""Precompiled statements (gateway.store.precompiled) send on SQLite what Core would send,
and their rows, defaults and results are Core's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    event,
    exc,
    func,
    insert,
    select,
    update,
)

from gateway.store.db import make_engine
from gateway.store.precompiled import Precompiled
from gateway.store.types import UTCDateTime

_STAMP = dt.datetime(2026, 12, 3, 10, 15, tzinfo=dt.UTC)
_metadata = MetaData()
_rows = Table(
    "rows",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), nullable=False),
    Column("state", String(10), nullable=False, default="new"),
    Column("tags", JSON, nullable=False, default=list),
    Column("flag", Boolean, nullable=False, default=False),
    Column("at", UTCDateTime, nullable=False, default=lambda: _STAMP),
    Column("seen_at", UTCDateTime, onupdate=lambda: _STAMP),
)


@pytest.fixture
def conn() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    _metadata.create_all(engine)
    with engine.begin() as connection:
        yield connection
    engine.dispose()


def _sent(conn: Connection) -> list[tuple[str, Any]]:
    sent: list[tuple[str, Any]] = []

    def listen(_c: object, _cur: object, sql: str, params: Any, *_: object) -> None:
        sent.append((sql, params))

    event.listen(conn, "before_cursor_execute", listen)
    return sent


def _all(conn: Connection) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(select(_rows).order_by(_rows.c.id))]


def test_an_insert_sends_cores_statement_and_values_with_the_defaults(conn: Connection) -> None:
    values: list[dict[str, Any]] = [
        {"name": "a"},
        {"name": "b", "tags": ["x", "y"], "flag": True},
        {"name": "c", "state": "done", "at": _STAMP + dt.timedelta(days=1)},
    ]
    sent = _sent(conn)
    for row in values:
        conn.execute(insert(_rows), row)
    prepared = Precompiled(insert(_rows))
    ids = [prepared.insert(conn, row) for row in values]
    # The same SQL and the same values for the driver, seen by the engine's events.
    assert len(sent) == 6 and sent[3:] == sent[:3]
    assert ids == [4, 5, 6]
    rows = _all(conn)
    assert [r[1:] for r in rows[3:]] == [r[1:] for r in rows[:3]]
    assert rows[1][3:5] == (["x", "y"], True) and rows[2][5] == _STAMP + dt.timedelta(days=1)


def test_several_rows_in_one_executemany(conn: Connection) -> None:
    sent = _sent(conn)
    Precompiled(insert(_rows)).execute(conn, [{"name": "a"}, {"name": "b"}])
    assert len(sent) == 1 and len(sent[0][1]) == 2
    assert [r[1] for r in _all(conn)] == ["a", "b"]


def test_an_update_by_the_parameters_columns_and_its_onupdate(conn: Connection) -> None:
    conn.execute(insert(_rows), [{"name": "a"}, {"name": "b"}])
    stmt = Precompiled(update(_rows).where(_rows.c.id == bindparam("row_id")))
    stmt.execute(conn, {"row_id": 2, "state": "done", "tags": ["t"]})
    rows = _all(conn)
    assert rows[0][2:] == ("new", [], False, _STAMP, None)
    assert rows[1][2:] == ("done", ["t"], False, _STAMP, _STAMP)


def test_a_query_with_literals_and_an_in_list_reads_as_core_does(conn: Connection) -> None:
    conn.execute(
        insert(_rows), [{"name": n, "state": s} for n, s in zip("abcd", "xyzx", strict=True)]
    )
    query = (
        select(_rows.c.at)
        .where(
            _rows.c.state.in_(["x", "z"]),
            _rows.c.id != bindparam("row_id"),
            _rows.c.flag.is_(False),
        )
        .order_by(_rows.c.id)
        .limit(1)
    )
    sent = _sent(conn)
    for row_id in (1, 3, 4):
        core = conn.scalar(query, {"row_id": row_id})
        assert Precompiled(query).scalar(conn, {"row_id": row_id}) == core
    assert core == _STAMP and isinstance(core, dt.datetime)
    assert sent[1::2] == sent[::2]
    count = Precompiled(select(func.count()).where(_rows.c.name == bindparam("n")))
    assert count.scalar(conn, {"n": "a"}) == 1 and count.scalar(conn, {"n": "e"}) == 0


def test_an_in_list_given_as_a_parameter_has_a_form_per_length(conn: Connection) -> None:
    conn.execute(insert(_rows), [{"name": n} for n in "abc"])
    query = select(_rows.c.name).where(
        _rows.c.name.in_(bindparam("names", expanding=True)), _rows.c.id != bindparam("row_id")
    )
    prepared = Precompiled(query.order_by(_rows.c.id))
    sent = _sent(conn)
    for names in (["a", "c"], ["a", "b", "c"], ["b", "x"], ["c"]):
        core = conn.execute(query.order_by(_rows.c.id), {"names": names, "row_id": 2}).all()
        assert prepared.rows(conn, {"names": names, "row_id": 2}) == [tuple(r) for r in core]
    assert sent[1::2] == sent[::2]
    assert prepared.rows(conn, {"names": ["b", "c"], "row_id": 0}) == [("b",), ("c",)]
    # An empty list is SQLAlchemy's own expression (no "IN ()" in SQLite).
    assert prepared.rows(conn, {"names": [], "row_id": 0}) == []


def test_a_missing_value_is_refused(conn: Connection) -> None:
    query = Precompiled(select(_rows.c.id).where(_rows.c.name == bindparam("n")))
    with pytest.raises(exc.InvalidRequestError, match="'n'"):
        query.scalar(conn, {})


def _no_sqlalchemy_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any statement sent through SQLAlchemy's execution fail the test."""

    def refused(*_: object, **__: object) -> None:
        raise AssertionError("sent through SQLAlchemy, not on the driver's cursor")

    monkeypatch.setattr(Connection, "exec_driver_sql", refused)
    monkeypatch.setattr(Connection, "_execute_context", refused)


def test_unheard_statements_go_on_the_drivers_cursor_with_cores_results(
    conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    values: list[dict[str, Any]] = [{"name": "a"}, {"name": "b", "tags": ["x"], "flag": True}]
    query = select(_rows.c.name, _rows.c.tags, _rows.c.at).where(_rows.c.id == bindparam("i"))
    for row in values:
        conn.execute(insert(_rows), row)
    core = [conn.execute(query, {"i": i}).one() for i in (1, 2)]
    inserting, updating = Precompiled(insert(_rows)), Precompiled(update(_rows))
    reading, counting = Precompiled(query), Precompiled(select(func.count()).select_from(_rows))
    _no_sqlalchemy_execution(monkeypatch)  # nobody listens: each goes on the cursor
    assert [inserting.insert(conn, row) for row in values] == [3, 4]
    inserting.execute(conn, [{"name": "c"}, {"name": "d"}])
    updating.execute(conn, {"seen_at": _STAMP})
    assert [reading.rows(conn, {"i": i})[0] for i in (3, 4)] == [tuple(r) for r in core]
    assert counting.scalar(conn, {}) == 6
    monkeypatch.undo()
    rows = _all(conn)
    assert [r[1] for r in rows] == ["a", "b", "a", "b", "c", "d"]
    assert rows[3][3:5] == (["x"], True) and all(r[6] == _STAMP for r in rows)


def test_a_driver_error_on_the_cursor_is_sqlalchemys_as_for_its_own(
    conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    inserting = Precompiled(insert(_rows))
    inserting.insert(conn, {"id": 1, "name": "a"})
    _no_sqlalchemy_execution(monkeypatch)
    with pytest.raises(exc.IntegrityError, match=r"UNIQUE constraint failed: rows\.id"):
        inserting.insert(conn, {"id": 1, "name": "b"})
    monkeypatch.undo()
    # The transaction goes on, as after a failed statement of SQLAlchemy's own.
    assert [r[1] for r in _all(conn)] == ["a"]


def test_a_driver_error_on_the_cursor_reaches_the_engines_error_handlers(
    conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str | None]] = []

    def _handled(context: Any) -> None:
        seen.append((type(context.sqlalchemy_exception).__name__, context.statement))

    event.listen(conn.engine, "handle_error", _handled)
    inserting = Precompiled(insert(_rows))
    inserting.insert(conn, {"id": 1, "name": "a"})
    _no_sqlalchemy_execution(monkeypatch)
    with pytest.raises(exc.IntegrityError):
        inserting.insert(conn, {"id": 1, "name": "b"})
    assert len(seen) == 1
    assert seen[0][0] == "IntegrityError"
    assert seen[0][1] is not None and seen[0][1].startswith("INSERT INTO rows")


def test_outside_a_transaction_sqlalchemy_begins_it(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine("sqlite://")
    _metadata.create_all(engine)
    with engine.connect() as connection:
        assert not connection.in_transaction()
        Precompiled(insert(_rows)).execute(connection, {"name": "a"})
        assert connection.in_transaction()  # autobegun, as by any statement
        connection.commit()
        assert [r[1] for r in _all(connection)] == ["a"]
    engine.dispose()


def test_savepoints_go_on_the_drivers_cursor_and_roll_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    _metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(_rows), {"name": "a"})  # begun before the refusal
        _no_sqlalchemy_execution(monkeypatch)
        inserting = Precompiled(insert(_rows))
        with pytest.raises(RuntimeError), connection.begin_nested():
            inserting.execute(connection, {"name": "b"})
            raise RuntimeError("the message fails")
        with connection.begin_nested():
            inserting.execute(connection, {"name": "c"})
        monkeypatch.undo()
    with engine.connect() as connection:
        assert [r[1] for r in _all(connection)] == ["a", "c"]
    engine.dispose()
