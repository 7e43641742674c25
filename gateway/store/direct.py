"""New objects the runner inserts with one Core statement and keeps as persistent objects
(and rows it reads without the ORM, made objects the same way: `attach`).

A unit-of-work flush of one new object (a ticket, its message, its requester) costs the
runner several times the INSERT itself: the flush plans, sorts and bookkeeps. The runner
knows each such object is complete when it is added, so `add` writes its row on the
session's connection (in the message's savepoint), gives the object its id and attaches
it to the session as if it had been loaded: relationships, the identity map and later
changes (flushed as UPDATEs) work as for any other object.

Every column gets its value before the INSERT (the given one, else the column's Python
default), so that nothing is expired and read back. The ORM does not know these objects
were created in the message's savepoint: a rollback would leave them in the identity map,
where the next row given the same id would clash with them. The runner therefore notes
them in the message's record (gateway.store.fresh) and `forget` expunges them when the
message is rolled back. Outside the runner (no record), and in a savepoint within the
message's (whose rollback `forget` would not hear of), objects are flushed as usual.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import Table, insert
from sqlalchemy import inspect as inspect_mapped
from sqlalchemy.orm import DeclarativeBase, Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.base import instance_state

from gateway.store import fresh
from gateway.store.precompiled import Precompiled

_T = TypeVar("_T", bound=DeclarativeBase)


@functools.cache
def _insert(table: Table) -> Precompiled:
    """One INSERT statement per table, built once: its compiled form is then cached."""
    return Precompiled(insert(table))


def add(session: Session, obj: DeclarativeBase) -> None:
    """Make the new `obj` a persistent row with its id: a Core INSERT in the runner (see
    the module docstring), else the session's flush."""
    record = fresh.current(session)
    if record is None or session.get_nested_transaction() is not record.savepoint:
        # Not in the runner, or in a savepoint within the message's (commands are applied
        # in one): the ORM's own flush, whose rollback forgets the object by itself.
        session.add(obj)
        session.flush()
        return
    mapper = instance_state(obj).mapper
    pk, columns = _columns(mapper)
    values: dict[str, Any] = {}
    given = obj.__dict__
    for key, column_key, column, defaulted in columns:
        if key in given:
            value = given[key]
        else:
            value = _default(column)
            setattr(obj, key, value)
        if value is not None or defaulted:
            # A NULL without a default is NULL unsaid: fewer parameters to bind (a new
            # ticket has a dozen empty dates), at most a few statements' forms to cache.
            values[column_key] = value
    setattr(obj, pk, _insert(mapper.local_table).insert(session.connection(), values))
    # Its attributes are now its committed state, as though just loaded.
    make_transient_to_detached(obj)
    session.add(obj)
    record.inserted.append(obj)


@functools.cache
def _columns(mapper: Mapper[Any]) -> tuple[str, tuple[tuple[str, str, Any, bool], ...]]:
    """The mapped table's primary key attribute and, for each other column, its
    attribute, column key, column and whether it has a default (read once per class)."""
    table = mapper.local_table
    assert isinstance(table, Table)
    pk = None
    columns: list[tuple[str, str, Any, bool]] = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.table is not table:
            continue  # a column property of another table (none on the objects added here)
        if column.primary_key:
            pk = prop.key
            continue
        defaulted = column.default is not None or column.server_default is not None
        columns.append((prop.key, column.key, column, defaulted))
    assert pk is not None
    return pk, tuple(columns)


def attach(session: Session, entity: type[_T], row: Mapping[str, Any]) -> _T:
    """The persistent object of a row read without the ORM (every column of `entity`'s
    table, by attribute name): the session's own object when it has one, else one made
    from the row, as if loaded."""
    key = session.identity_key(entity, _primary_key(entity, row))
    found = session.identity_map.get(key)
    if found is not None:
        assert isinstance(found, entity)
        return found
    obj = entity(**row)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def _primary_key(entity: type[DeclarativeBase], row: Mapping[str, Any]) -> tuple[Any, ...]:
    mapper = inspect_mapped(entity)
    return tuple(row[mapper.get_property_by_column(c).key] for c in mapper.primary_key)


def _default(column: Any) -> Any:
    """The value a Core INSERT would give a column left out: its Python default (a
    scalar, or a callable that needs no execution context), else NULL."""
    default = column.default
    if default is None:
        assert column.server_default is None, f"{column} has only a server default"
        return None
    if default.is_scalar:
        return default.arg
    assert default.is_callable, f"{column}: an unsupported default"
    return default.arg(None)


def forget(session: Session) -> None:
    """The message's savepoint was rolled back: its inserted objects leave the session."""
    record = fresh.current(session)
    if record is None:
        return
    for obj in record.inserted:
        if obj in session:
            session.expunge(obj)
    record.inserted.clear()
