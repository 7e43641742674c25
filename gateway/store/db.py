"""Database engine and sessions; SQLite tuned for durable concurrent use, schema via Alembic."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from gateway.store.files import private_file, sqlite_file, unicode_lower
from gateway.store.precompiled import send_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from gateway.settings.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"

# SQLite: each connection's page cache (MiB), as [database] cache_mib has it by default.
CACHE_MIB = 64


def make_engine(
    url: str, busy_timeout: float = 30.0, cache_mib: int = CACHE_MIB, **kwargs: Any
) -> Engine:
    """An engine; for SQLite: WAL, full fsync on commit, waits instead of failing on locks,
    a page cache of `cache_mib` MiB a connection (0: SQLite's own)."""
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if path is not None:
            private_file(path)
        engine = create_engine(url, connect_args={"timeout": busy_timeout}, **kwargs)
        _sqlite_events(engine, busy_timeout, cache_mib)
        _savepoints_as_text(engine)
        return engine
    if url.startswith("postgresql"):
        # No JIT: the listing's and the pipeline's statements run in milliseconds, but
        # their cost estimates (a count per listed row) pass jit_above_cost, and compiling
        # them took 50-150 ms a statement at 100k-1M tickets (bench/scale.py --postgres).
        # An options= the admin wrote in the URL is kept before it (connect_args would
        # replace it), as the CLI's plain reader keeps it (gateway.store.pg_plain).
        own = make_url(url).query.get("options")
        written = " ".join(own) if isinstance(own, tuple) else own
        options = f"{written} -c jit=off" if written else "-c jit=off"
        kwargs.setdefault("connect_args", {}).setdefault("options", options)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_events(engine: Engine, busy_timeout: float, cache_mib: int) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so BEGIN IMMEDIATE can be issued.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the 250 that depends on it.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        if cache_mib > 0:
            # SQLite's own 2 MiB holds a small desk's indexes; at a million tickets each
            # new ticket's index entries land on pages fallen out of it, read again from
            # the OS: at 1M tickets 64 MiB read 2.1 pages a processed message, not 8.1
            # (bench/wal_pages.py). With the file in the OS's cache that saved no CPU; it
            # is the disk reads it saves when the file is not.
            # A negative size is in KiB; the memory is taken as pages are read.
            cur.execute(f"PRAGMA cache_size={-int(cache_mib) * 1024}")
        cur.close()
        # Unicode lower() (gateway.store.files).
        dbapi_conn.create_function("lower", 1, unicode_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Writers take the lock up front: a deferred transaction that reads and then
        # writes can fail at once with SQLITE_BUSY when another writer got in between.
        mode = "IMMEDIATE" if conn.get_execution_options().get("sqlite_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def _savepoints_as_text(engine: Engine) -> None:
    """SAVEPOINT, RELEASE and ROLLBACK TO sent as SQL text.

    SQLAlchemy compiles each savepoint statement anew (each name is new, so none is in
    its cache), and the runner opens a savepoint for every message. The text is what
    the compiler makes of it (names quoted where needed), and is sent on the same
    connection: on its driver's cursor, unless someone listens to its statements
    (gateway.store.precompiled.send_text), then with the same events.
    """
    quoted: Callable[[None, str], str] = engine.dialect.identifier_preparer.format_savepoint

    def sent(command: str) -> Callable[[Connection, str], None]:
        def send(conn: Connection, name: str) -> None:
            send_text(conn, command + quoted(None, name))

        return send

    dialect: Any = engine.dialect  # the instance's methods, for this engine only
    dialect.do_savepoint = sent("SAVEPOINT ")
    dialect.do_release_savepoint = sent("RELEASE SAVEPOINT ")
    dialect.do_rollback_to_savepoint = sent("ROLLBACK TO SAVEPOINT ")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class Database:
    """The engine plus session factories for reading and for writing.

    The factories are made on first use: a command that reads with Core (`tickets show`)
    does not import the ORM."""

    def __init__(
        self, url: str, busy_timeout: float = 30.0, cache_mib: int = CACHE_MIB, **kwargs: Any
    ) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout, cache_mib, **kwargs)
        self._writer_engine = self.engine.execution_options(sqlite_write=True)
        self._busy_timeout = busy_timeout
        # SQLite: the automatic checkpoint threshold (pages) the connections are to have,
        # None for SQLite's own; applied as each connection is taken from the pool.
        self._autocheckpoint: int | None = None
        if self.sqlite:
            event.listen(self.engine, "checkout", self._apply_autocheckpoint)

    @functools.cached_property
    def _sessions(self) -> sessionmaker[Session]:
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(self.engine, expire_on_commit=False)

    @functools.cached_property
    def _write_sessions(self) -> sessionmaker[Session]:
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(self._writer_engine, expire_on_commit=False)

    @classmethod
    def from_config(cls, cfg: Config) -> Database:
        return cls(
            cfg.database_url,
            busy_timeout=cfg.database.busy_timeout_seconds,
            cache_mib=cfg.database.cache_mib,
        )

    @property
    def sqlite(self) -> bool:
        return is_sqlite(self.engine)

    def set_autocheckpoint(self, pages: int) -> None:
        """SQLite: have this database's connections checkpoint the log automatically
        past `pages` pages (0: never; gateway.store.checkpoint does it instead).

        Taken up by each connection the next time it is used."""
        self._autocheckpoint = pages

    def _apply_autocheckpoint(self, dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        wanted = self._autocheckpoint
        if wanted is not None and record.info.get("autocheckpoint") != wanted:
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA wal_autocheckpoint={int(wanted)}")
            cur.close()
            record.info["autocheckpoint"] = wanted

    def session(self) -> Session:
        return self._sessions()

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one write transaction: committed on success, rolled back on error."""
        with self._write_sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def write_core(self, nowait: bool = False) -> Iterator[Connection]:
        """A Core connection in one write transaction (no ORM session: the SMTP hot path).

        `nowait` (SQLite only): fail at once with "database is locked" instead of waiting
        for another writer, so that a caller on an event loop never blocks on a lock.
        """
        if not nowait:
            with self._writer_engine.begin() as conn:
                yield conn
            return
        with self._writer_engine.connect() as conn:
            # On the driver's connection: through SQLAlchemy it would begin a transaction.
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA busy_timeout=0")
            try:
                with conn.begin():
                    yield conn
            finally:
                raw.execute(f"PRAGMA busy_timeout={int(self._busy_timeout * 1000)}")

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Any:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Create or migrate the schema to the newest revision; on SQLite, refill the search
    terms if text was indexed behind the product's back (gateway.store.fts_terms)."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")
    if url.startswith("sqlite"):
        from gateway.store import fts_terms

        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                if not fts_terms.in_step(conn):
                    log.warning("full-text search terms behind the index: refilling them")
                    fts_terms.refill(conn)
        finally:
            engine.dispose()


def schema_state(db: Database) -> str:
    """'empty', 'current' or 'outdated'.

    The database's revisions are read with one query, the newest off the migration files
    (gateway.store.revisions); Alembic's own machinery only when those files are not in
    their plain form.
    """
    from gateway.store import revisions

    with db.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        if not tables:
            return "empty"
        current: set[str] = set()
        if "alembic_version" in tables:
            current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    heads = revisions.heads()
    if heads is None:
        from alembic.script import ScriptDirectory

        heads = set(ScriptDirectory.from_config(alembic_config(db.url)).get_heads())
    return "current" if current == heads else "outdated"
