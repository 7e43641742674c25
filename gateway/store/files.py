"""The SQLite database file: which one a URL names, and made private; the lower() its
connections use. Shared by the engine, the plain reader and the WAL checkpointer, without
importing SQLAlchemy."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

# The URL forms whose file Python's own sqlite3 opens as SQLAlchemy's default driver does.
_SCHEMES = ("sqlite", "sqlite+pysqlite")


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (`sqlite:///path`), None for any other database or for
    an in-memory or URI-style (`file:`) SQLite one."""
    scheme, sep, path = url.partition(":///")
    if not sep or scheme not in _SCHEMES:
        return None
    # A query string or an escape: SQLAlchemy's URL parsing is the one to trust.
    if not path or path == ":memory:" or path.startswith("file:") or "?" in path or "%" in path:
        return None
    return Path(path)


def private_file(path: Path) -> None:
    """Create the database file (and its folders) for its owner only: 0600 in 0700.

    SQLite gives the -wal and -shm files the database file's mode, so they follow.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def unicode_lower(value: str | float | bytes | None) -> str | float | bytes | None:
    """SQL's lower() on SQLite connections: SQLite's own folds ASCII only, and searches
    must match "Принтер" too."""
    return value.lower() if isinstance(value, str) else value
