"""`tickets show`'s ticket read without SQLAlchemy (sqlite3, gateway.store.plain) is the
one SQLAlchemy Core reads, and its times and flags are the ORM's, on SQLite and on
PostgreSQL (read through Core there)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway import spool
from gateway.daemon.runner import Runner
from gateway.daemon.supervisor import prepare_database
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.settings.config import Config
from gateway.store import detail, files, plain
from gateway.store.formats import iso
from gateway.store.model import Message, Rating, Ticket
from tests.harness import write_config
from tests.postgres import private_postgres

RESOLVED = dt.datetime(2025, 3, 30, 1, 2, 3, 456789, tzinfo=dt.UTC)


def _mail(subject: str, body: str, attachment: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ivan Petrov <ivan@corp.example.ru>"
    msg["To"] = "support@example.com"
    msg["Cc"] = "olga@corp.example.ru"
    msg["Subject"] = subject
    msg.set_content(body)
    if attachment:
        msg.add_attachment(
            b"%PDF-1.4 test", maintype="application", subtype="pdf", filename="счёт.pdf"
        )
    return msg.as_bytes()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cfg(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Config]:
    """HD-1 with two messages (one with an attachment), a rating, a resolution time with
    microseconds and HD-2 linked to it."""
    path = write_config(tmp_path_factory.mktemp("detail"))
    if request.param == "sqlite":
        yield _desk(config_mod.load(path))
        return
    with private_postgres() as url:
        path.write_text(path.read_text().replace("sqlite:///var/helpdesk.db", url))
        yield _desk(config_mod.load(path))


def _desk(cfg: Config) -> Config:
    db = prepare_database(cfg)
    mails = [
        _mail("Принтер", "Принтер не печатает.", attachment=True),
        _mail("Re: [HD-1] Принтер", "Всё ещё нет."),
        _mail("VPN", "Нет доступа."),
    ]
    for raw in mails:
        with db.write() as s:
            spool.store(s, raw, source="smtp", mail_from="", rcpt_to=["support@example.com"])
        Runner(db, Services.from_config(cfg)).drain()
    with db.write() as s:
        first = s.get(Ticket, 1)
        assert first is not None
        first.resolved_at = RESOLVED
        s.add(Rating(ticket_id=1, grade=2, label="Хорошо", comment="спасибо"))
        second = s.get(Ticket, 2)
        assert second is not None
        second.linked_ticket_id = 1
    db.dispose()
    return cfg


def _read(cfg: Config, ref: str, core: bool) -> dict[str, object] | None:
    url = cfg.database_url
    open_reader = plain._core_reader(url, 30.0) if core else plain.reader(url)
    with open_reader as fetch:
        found = detail.find(fetch, ref, "HD")
        return None if found is None else detail.ticket_detail(fetch, found, "HD", True)


def test_sqlite_file_is_read_without_sqlalchemy() -> None:
    assert files.sqlite_file("sqlite:////var/lib/helpdesk/a.db") == Path("/var/lib/helpdesk/a.db")
    assert files.sqlite_file("sqlite+pysqlite:///var/a.db") == Path("var/a.db")
    for url in ("postgresql+psycopg://h/db", "sqlite:///:memory:", "sqlite:///x.db?mode=ro"):
        assert files.sqlite_file(url) is None


@pytest.mark.parametrize("ref", ["1", "hd-2", "HD-9", "x"])
def test_plain_read_is_the_core_read(cfg: Config, ref: str) -> None:
    assert _read(cfg, ref, core=False) == _read(cfg, ref, core=True)


def test_times_and_flags_are_the_models(cfg: Config) -> None:
    data = _read(cfg, "HD-1", core=False)
    assert data is not None
    db = prepare_database(cfg)
    with db.read() as s:
        ticket = s.get(Ticket, 1)
        assert ticket is not None
        assert data["created_at"] == iso(ticket.created_at)
        assert data["updated_at"] == iso(ticket.updated_at)
        assert data["resolved_at"] == "2025-03-30T01:02:03.456789Z"
        assert data["closed"] is ticket.closed and data["extra"] is False
        query = select(Message).where(Message.ticket_id == 1).order_by(Message.id)
        stored = list(s.scalars(query))
        messages = data["messages"]
        assert isinstance(messages, list)
        assert [m["created_at"] for m in messages] == [iso(m.created_at) for m in stored]
        # Booleans, not SQLite's 0 and 1.
        assert [m["hidden"] for m in messages] == [m.hidden for m in stored]
        assert {type(m["hidden"]) for m in messages} == {bool}
    db.dispose()
    assert messages[0]["attachments"] == [
        {"filename": "счёт.pdf", "content_type": "application/pdf", "size": 13}
    ]
    ratings = data["ratings"]
    assert isinstance(ratings, list) and ratings[0]["grade"] == 2
    assert data["continued_by"] == ["HD-2"]
    assert data["events"]
