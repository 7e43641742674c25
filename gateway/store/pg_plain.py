"""PostgreSQL read through psycopg 3 itself, without SQLAlchemy (issue 17): the reader
gateway.store.plain opens for a `postgresql+psycopg://` URL.

SQLAlchemy's import (0.3-0.4 s of CPU) was most of a PostgreSQL `tickets show`; psycopg,
which SQLAlchemy would load anyway, is all a read needs. The statements are the same SQL
text with `:name` parameters that sqlite3 and SQLAlchemy's text() take: converted here,
once per text, to psycopg's `%(name)s` as text() does it. The URL is read as SQLAlchemy's
psycopg dialect reads it, so `[database] url` means the same connection to both.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from gateway.store.reading import Reader

SCHEME = "postgresql+psycopg"

# As SQLAlchemy's text() finds a bind: a colon not after a word character, a colon or a
# backslash (`::regconfig` is a cast, `12:30` no name) and not followed by another colon.
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")

# The engine's own setting (gateway.store.db.make_engine): no JIT for these statements.
NO_JIT = "-c jit=off"


@functools.lru_cache(maxsize=256)
def pyformat(sql: str) -> str:
    """`sql` with `:name` as `%(name)s`; a literal `%` (LIKE's escape, `%` in text)
    doubled, as psycopg reads `%` as the start of a placeholder."""
    parts = []
    last = 0
    for found in _BIND.finditer(sql):
        parts.append(sql[last : found.start()].replace("%", "%%"))
        parts.append(f"%({found.group(1)})s")
        last = found.end()
    parts.append(sql[last:].replace("%", "%%"))
    # text()'s escaped colon (`\:`) is a colon.
    return "".join(parts).replace("\\:", ":")


def connect_args(url: str) -> dict[str, str]:
    """psycopg's connection parameters for an SQLAlchemy URL, as its psycopg dialect
    makes them: user, password, host, port and database from the address (percent-
    decoded), any other parameter (host= for a socket directory, sslmode=, options=,
    connect_timeout=, ...) from the query; `host` given more than once with `port`s or
    as `host:port`, the several servers libpq tries in turn."""
    parts = urlsplit(url)
    args: dict[str, str] = {}
    netloc = parts.netloc
    if "@" in netloc:
        credentials, netloc = netloc.rsplit("@", 1)
        user, colon, password = credentials.partition(":")
        if user:
            args["user"] = unquote(user)
        if colon and password:
            args["password"] = unquote(password)
    if netloc:
        host, port = _host_port(netloc)
        if host:
            args["host"] = host
        if port:
            args["port"] = port
    database = unquote(parts.path.lstrip("/"))
    if database:
        args["dbname"] = database
    hosts: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "host":
            hosts.append(_host_port(value))
        else:
            args[key] = value
    if hosts:
        args["host"] = ",".join(host for host, _ in hosts)
        if any(port for _, port in hosts):
            args["port"] = ",".join(port for _, port in hosts)
    if "database" in args:  # SQLAlchemy's name for it
        args["dbname"] = args.pop("database")
    # The engine's options, after the URL's own (the engine's connect_args replace the
    # URL's options=; kept here, as an admin who wrote them meant).
    args["options"] = f"{args['options']} {NO_JIT}" if args.get("options") else NO_JIT
    return args


def _host_port(value: str) -> tuple[str, str]:
    """`host`, `host:port`, `[v6]:port` or a socket directory (`/run/postgresql`)."""
    if value.startswith("/"):
        return value, ""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, rest.lstrip(":")
    host, _, port = value.rpartition(":") if ":" in value else (value, "", "")
    return unquote(host), port


@contextlib.contextmanager
def reader(url: str) -> Iterator[Reader]:
    """A reader whose statements all read one snapshot of the database (a read-only
    REPEATABLE READ transaction: a page and its count agree), ended by closing the
    connection (the server rolls it back; no round trip, nothing to fail on a broken
    connection and hide the error that broke it)."""
    # Only psycopg's core: not psycopg_pool, nor the extras the ORM's types load.
    import psycopg
    from psycopg.conninfo import make_conninfo
    from psycopg.rows import dict_row

    conninfo = make_conninfo("", **connect_args(url))
    conn = psycopg.connect(conninfo, autocommit=True, row_factory=dict_row)
    try:

        def fetch(sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
            # Parameters always passed (an empty dict too): only then does psycopg read
            # `%%` as the `%` it stands for.
            cur = conn.execute(pyformat(sql), dict(params))
            return cur.fetchall() if cur.description is not None else []

        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield Reader("postgresql", fetch)
    finally:
        conn.close()
