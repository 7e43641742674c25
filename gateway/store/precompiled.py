"""Core statements compiled once, then sent as SQL text with their values in order (SQLite).

Executing a Core statement costs SQLAlchemy, every time, a walk of the statement for its
cache key, the cache look-up, and an execution context that processes each parameter:
100-200 µs a statement on the runner's path, against about 10 µs for SQL text on the same
connection. The runner sends some fifteen statements per message, the same ones each
time. A `Precompiled` statement does that work once per set of parameter names: the SQL
string, and for each placeholder where its value comes from (a parameter, a literal of
the statement, a column's Python default) and the type's conversion for the driver. It
is then sent on the driver's cursor of the caller's connection, inside its transaction or
savepoint (`_send`): SQLAlchemy's execution of even SQL text costs more than SQLite takes
for most of these statements. When anyone listens to the statements
(`before_cursor_execute`: the statement counts of the tests, bench/runner_queries.py),
and before the connection's transaction has begun, it goes through
`Connection.exec_driver_sql` instead, the same text with the same values, so that the
events and the transaction are those of any other statement.

Only SQLite (the qmark parameter style) is served this way. An IN list given as a
parameter gets a form per length. Other dialects, and statements this module cannot
reproduce exactly (an empty IN list, a SQL expression as a column default, escaped
parameter names), run as ordinary Core statements. Result values are converted by their
column types, as SQLAlchemy does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Executable, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Processor = Callable[[Any], Any] | None

# A placeholder's value: the parameter `key` (with `pick`, its element at index
# `fallback`: a list's), else (key None) `fallback`, called for each row when `pick` (a
# column's Python default); then passed through `processor`.
_Slot = tuple[str | None, Any, bool, Processor]


@dataclass(frozen=True)
class _Lists:
    """The statement has list parameters (`IN :names`): a form per set of their lengths."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class _Form:
    """The statement compiled for one set of parameter names."""

    sql: str
    slots: tuple[_Slot, ...]
    results: tuple[Processor, ...]

    def values(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for key, fallback, pick, processor in self.slots:
            if key is None:
                value = fallback() if pick else fallback
            else:
                value = params[key][fallback] if pick else params[key]
            out.append(value if processor is None else processor(value))
        return tuple(out)


class Precompiled:
    """A Core statement executed on SQLite from its SQL text (see the module docstring).

    Built once per statement (a module constant): its forms are kept per set of
    parameter names. On any other dialect it is the statement itself."""

    __slots__ = ("_forms", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        # Parameter names (with the lengths of list parameters) -> the compiled form
        # (None: run as an ordinary statement).
        self._forms: dict[Any, _Form | _Lists | None] = {}

    def execute(
        self, conn: Connection, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> None:
        """Execute with one set of parameters, or (executemany) a list of them."""
        if isinstance(params, Mapping):
            form = self._form(conn.dialect, params)
            if form is not None:
                _send(conn, form.sql, form.values(params))
                return
        elif params:
            form = self._form(conn.dialect, params[0])
            if form is not None:
                _send(conn, form.sql, [form.values(p) for p in params])
                return
        conn.execute(self.statement, params)

    def insert(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Execute an INSERT of one row; the new row's primary key (a single column)."""
        form = self._form(conn.dialect, params)
        if form is not None:  # SQLite: the rowid the INSERT gave
            return _send(conn, form.sql, form.values(params))[1]
        key = conn.execute(self.statement, params).inserted_primary_key
        assert key is not None
        return key[0]

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row, None without one."""
        form = self._form(conn.dialect, params)
        if form is None:
            return conn.scalar(self.statement, params)
        found = _send(conn, form.sql, form.values(params), rows=True)[0]
        if not found:
            return None
        processor = form.results[0]
        return found[0][0] if processor is None else processor(found[0][0])

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row, its values converted by the columns' types."""
        form = self._form(conn.dialect, params)
        if form is None:
            return [tuple(row) for row in conn.execute(self.statement, params)]
        found = _send(conn, form.sql, form.values(params), rows=True)[0]
        processors = form.results
        if not any(processors):
            return [tuple(row) for row in found]
        return [
            tuple(v if p is None else p(v) for v, p in zip(row, processors, strict=True))
            for row in found
        ]

    def _form(self, dialect: Dialect, params: Mapping[str, Any]) -> _Form | None:
        if dialect.paramstyle != "qmark":
            return None
        keys = frozenset(params)
        try:
            form = self._forms[keys]
        except KeyError:
            form = self._forms[keys] = _compile(self.statement, dialect, keys, {})
        if not isinstance(form, _Lists):
            return form
        lengths = {name: len(params[name]) for name in form.names}
        if not all(lengths.values()):
            return None  # an empty list: SQLAlchemy's own expression for it
        by_length = (keys, *lengths.values())
        found = self._forms.get(by_length)
        if found is None and by_length not in self._forms:
            found = self._forms[by_length] = _compile(self.statement, dialect, keys, lengths)
        assert not isinstance(found, _Lists)
        return found


def _send(
    conn: Connection,
    sql: str,
    values: tuple[Any, ...] | list[tuple[Any, ...]],
    rows: bool = False,
) -> tuple[list[Any], Any]:
    """Send `sql` with `values` (a list of them: executemany); the rows when asked for
    them, and the cursor's lastrowid.

    Inside a begun, active transaction with nobody listening to the cursor's statements,
    straight on the driver's cursor: even as SQL text, a statement through SQLAlchemy
    costs an execution context and a result object (15 µs a query, 6 µs an insert, here:
    more than SQLite takes for most of the runner's), for nothing these callers use. A
    driver error is SQLAlchemy's to wrap and handle, as for its own statements. Anything
    else (no transaction yet, a listener such as the tests' statement counts, echo) goes
    through `exec_driver_sql`, which sends the same text and values.
    """
    driver = _driver(conn)
    if driver is None:
        result = conn.exec_driver_sql(sql, values)
        return (list(result.all()) if rows else []), result.lastrowid
    cursor = driver.cursor()
    try:
        if isinstance(values, list):
            cursor.executemany(sql, values)
        else:
            cursor.execute(sql, values)
        return (cursor.fetchall() if rows else []), cursor.lastrowid
    except Exception as error:
        # SQLAlchemy's own handler for a driver error (private, the same in 1.4-2.1; the
        # test of a driver error on the cursor fails if it changes): it wraps the error in
        # its exception classes (IntegrityError...), invalidates a connection the driver
        # says is gone and runs the `handle_error` events, so that the callers see what
        # `exec_driver_sql` would have raised. Re-sending the statement through
        # `exec_driver_sql` instead would not do: an executemany's earlier rows are written.
        conn._handle_dbapi_exception(error, sql, values, cursor, None)
    finally:
        cursor.close()


def _driver(conn: Connection) -> Any:
    """The driver's connection when `_send` may use it directly (see there), else None."""
    root = conn.get_transaction()
    if root is None or not root.is_active:
        return None  # SQLAlchemy begins it (BEGIN IMMEDIATE: gateway.store.db)
    nested = conn.get_nested_transaction()
    if nested is not None and not nested.is_active:
        return None  # a savepoint to roll back first: SQLAlchemy says so
    return unheard(conn)


def unheard(conn: Connection) -> Any:
    """The driver's connection of `conn` when nobody listens to its statements (events,
    echo), else None."""
    if conn.closed or conn.invalidated or conn._echo:
        return None
    dispatch = conn.dispatch
    if dispatch.before_cursor_execute or dispatch.after_cursor_execute:
        return None
    if dispatch.before_execute or dispatch.after_execute:
        return None
    return conn.connection.driver_connection


def send_text(conn: Connection, sql: str) -> None:
    """Send `sql`, no parameters, on the driver's cursor when nobody listens (`unheard`):
    SQLAlchemy's own savepoint statements, which it sends inside its transaction."""
    driver = unheard(conn)
    if driver is None:
        conn.exec_driver_sql(sql)
        return
    cursor = driver.cursor()
    try:
        cursor.execute(sql)
    except Exception as error:
        conn._handle_dbapi_exception(error, sql, (), cursor, None)  # as in `_send`
    finally:
        cursor.close()


def _compile(
    statement: Executable, dialect: Dialect, keys: frozenset[str], lengths: dict[str, int]
) -> _Form | _Lists | None:
    """The statement's form for parameters named `keys` (its list parameters of
    `lengths`), None if it has no exact one; `_Lists` when it needs their lengths."""
    assert isinstance(statement, ClauseElement)
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
    assert isinstance(compiled, SQLCompiler)
    names = compiled.positiontup
    if names is None or compiled.escaped_bind_names:
        return None
    defaults: dict[str, Any] = {
        **{c.key: c.default for c in compiled.insert_prefetch},
        **{c.key: c.onupdate for c in compiled.update_prefetch},
    }
    sql = compiled.string
    slots: list[_Slot] = []
    lists: list[str] = []
    for name in names:
        bind = compiled.binds[name]
        found = compiled._bind_processors.get(name)
        if found is not None and not callable(found):
            return None  # a tuple type's processors, one per element
        processor: Processor = found
        key = bind.key if bind.key in keys else name if name in keys else None
        if bind.expanding:
            # An IN list is written out: the statement's own, or a parameter's of the
            # length it has (a form per length).
            one: Processor = bind.type._cached_bind_processor(dialect)
            elements: list[_Slot]
            if key is not None:
                if key not in lengths:
                    lists.append(key)
                    continue
                elements = [(key, i, True, one) for i in range(lengths[key])]
            else:
                values = bind.effective_value
                if not values or not isinstance(values, list | tuple):
                    return None
                elements = [(None, v, False, one) for v in values]
            marks = ", ".join("?" for _ in elements)
            sql = sql.replace(f"__[POSTCOMPILE_{name}]", marks, 1)
            slots += elements
            continue
        if key is not None:
            slots.append((key, None, False, processor))
        elif name in defaults:
            default = defaults[name]
            if default is None or not (default.is_scalar or default.is_callable):
                return None
            if default.is_scalar:
                slots.append((None, default.arg, False, processor))
            else:
                # Column defaults are called with the execution context; none of the
                # defaults of this schema reads it (as gateway.store.direct relies on).
                slots.append((None, _no_context(default.arg), True, processor))
        elif bind.callable is not None:
            slots.append((None, bind.callable, True, processor))
        elif bind.required and bind.value is None:
            raise exc.InvalidRequestError(f"A value is required for bind parameter {name!r}")
        else:
            slots.append((None, bind.value, False, processor))
    if lists:
        return _Lists(tuple(dict.fromkeys(lists)))
    if "__[POSTCOMPILE_" in sql:
        return None
    results = tuple(
        column.type._cached_result_processor(dialect, None) for column in compiled._result_columns
    )
    return _Form(sql, tuple(slots), results)


def _no_context(fn: Callable[[Any], Any]) -> Callable[[], Any]:
    return lambda: fn(None)
