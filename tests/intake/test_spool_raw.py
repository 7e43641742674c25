"""The raw bytes of received mail live in `inbound_raw`: written once at acceptance, never
rewritten by processing, dropped by purge, moved there by migration 0016 (SQLite and
PostgreSQL) and back by its downgrade."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, event, func, select, text

from gateway import spool
from gateway.daemon.runner import Runner
from gateway.daemon.supervisor import prepare_database
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.store.db import Database, alembic_config, upgrade
from gateway.store.model import Inbound, InboundRaw
from tests.harness import write_config
from tests.postgres import private_postgres

RAWS = [
    "From: Иван <ivan@corp.example.org>\r\nSubject: Принтер\r\n\r\nне печатает\r\n".encode(),
    b"From: ops@mx.example.test\r\nSubject: disk\r\nContent-Type: text/html\r\n\r\n"
    + b"<div>" * 20_000
    + b"x"
    + b"</div>" * 20_000,
    b"From: =?iso-2022-jp?B?GyRCJUYlOSVIGyhC?= <taro@example.jp>\r\n"
    b"Subject: =?iso-2022-jp?B?GyRCPz1AQRsoQg==?=\r\n"
    b"Content-Type: text/plain; charset=iso-2022-jp\r\n\r\n"
    + "パスワードを忘れました\r\n".encode("iso-2022-jp"),
]


def test_processing_never_writes_the_raw_bytes(tmp_path: Path) -> None:
    cfg = config_mod.load(write_config(tmp_path))
    db = prepare_database(cfg)
    with db.write() as s:
        ids = [
            spool.store(s, raw, source="smtp", rcpt_to=["support@example.com"]).id for raw in RAWS
        ]
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert Runner(db, Services.from_config(cfg)).drain() == len(RAWS)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    writes = [s for s, _ in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT"))]
    assert any(w.startswith("UPDATE inbound SET") for w in writes)  # the state, the trace
    assert not [w for w in writes if "inbound_raw" in w]
    for statement, params in statements:
        if statement.startswith("UPDATE inbound SET"):
            assert all(not isinstance(p, bytes) for p in _flat(params)), statement
    with db.read() as s:
        rows = {r.id: r for r in s.scalars(select(Inbound).where(Inbound.id.in_(ids)))}
        assert [rows[i].raw for i in ids] == RAWS
        assert all(rows[i].state == "done" for i in ids)
    db.dispose()


def _flat(params: Any) -> list[Any]:
    if isinstance(params, dict):
        return list(params.values())
    if isinstance(params, list | tuple):
        return (
            [p for item in params for p in _flat(item)]
            if params and isinstance(params[0], list | tuple | dict)
            else list(params)
        )
    return [params]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'h.db'}"
        return
    with private_postgres() as pg:
        yield pg


OLD = dt.datetime(2025, 1, 5, 8, 0)


def test_migration_moves_the_raw_bytes_and_back(url: str) -> None:
    command.upgrade(alembic_config(url), "0015")
    engine = create_engine(url)
    insert = text(
        "INSERT INTO inbound (id, received_at, source, mail_from, rcpt_to, size, sha256, raw,"
        " state, attempts, trace, origin, processed_at) VALUES (:id, :at, 'smtp', '', '[]',"
        " :size, 'x', :raw, :state, 1, '[]', '{}', :at)"
    )
    with engine.begin() as conn:
        for i, raw in enumerate(RAWS, 1):
            conn.execute(insert, {"id": i, "at": OLD, "size": len(raw), "raw": raw, "state": "new"})
        # Purged before the upgrade: the bytes are gone, the size says there were some.
        conn.execute(insert, {"id": 9, "at": OLD, "size": 321, "raw": b"", "state": "done"})
    engine.dispose()
    upgrade(url)
    db = Database(url)
    with db.read() as s:
        rows = {r.id: r for r in s.scalars(select(Inbound))}
        assert [rows[i].raw for i in (1, 2, 3)] == RAWS
        assert rows[9].raw == b"" and rows[9].raw_dropped_at is not None
        assert all(rows[i].raw_dropped_at is None for i in (1, 2, 3))
        assert s.scalar(select(func.count()).select_from(InboundRaw)) == 3
    db.dispose()
    command.downgrade(alembic_config(url), "0015")
    engine = create_engine(url)
    with engine.connect() as conn:
        back: dict[int, Any] = {
            int(i): raw for i, raw in conn.execute(text("SELECT id, raw FROM inbound ORDER BY id"))
        }
    engine.dispose()
    assert {i: bytes(v) for i, v in back.items()} == {1: RAWS[0], 2: RAWS[1], 3: RAWS[2], 9: b""}


def test_purge_drops_the_raw_row(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gateway.cli.main import main

    config = write_config(tmp_path)
    cfg = config_mod.load(config)
    db = prepare_database(cfg)
    with db.write() as s:
        old = spool.store(s, RAWS[0], source="smtp")
        old.received_at, old.state = OLD.replace(tzinfo=dt.UTC), "done"
        kept = spool.store(s, RAWS[2], source="smtp")
        kept.state = "done"
        ids = old.id, kept.id
    result = CliRunner().invoke(
        main, ["--config", str(config), "purge", "--raw-older-than", "365d"]
    )
    assert result.exit_code == 0, result.output
    assert "1 received" in result.output
    with db.read() as s:
        a, b = (s.get(Inbound, i) for i in ids)
        assert a is not None and b is not None
        assert a.raw == b"" and a.raw_dropped_at is not None and a.sha256 and a.size
        assert b.raw == RAWS[2] and b.raw_dropped_at is None
        assert list(s.scalars(select(InboundRaw.inbound_id))) == [b.id]
    db.dispose()
    shown = CliRunner().invoke(
        main, ["--config", str(config), "inbound", "show", str(ids[0]), "--format", "json"]
    )
    assert shown.exit_code == 0, shown.output
    assert '"raw_dropped_at": "' in shown.output
