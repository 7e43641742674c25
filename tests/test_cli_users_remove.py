"""`helpdesk users remove`: the person is anonymised, the tickets stay, nothing pending
goes out to them in silence, and the refusals (config agent, open tickets, unknown)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from gateway import spool
from gateway.cli.main import main
from gateway.daemon.runner import Runner
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.store.db import Database, upgrade
from gateway.store.model import Outbox, Participant, Suspension, Ticket, User
from gateway.store.users import sync_agents
from tests.harness import mail, write_config

IVAN = "Иван Петров <Ivan.Petrov@corp.example.ru>"


def cli(path: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(path), *args])


def desk(tmp_path: Path) -> tuple[Path, Database, Services]:
    path = write_config(tmp_path)
    cfg = config_mod.load(path)
    upgrade(cfg.database_url)
    db = Database.from_config(cfg)
    with db.write() as session:
        sync_agents(session, cfg)
    return path, db, Services.from_config(cfg)


def receive(db: Database, services: Services, raw: bytes) -> None:
    with db.write() as session:
        spool.store(session, raw, source="smtp", rcpt_to=["support@example.com"])
    Runner(db, services).drain()


def test_remove_anonymises_keeps_tickets_and_fails_pending_mail(tmp_path: Path) -> None:
    path, db, services = desk(tmp_path)
    receive(
        db, services, mail("Не работает VPN", "С утра не подключается.", sender=IVAN).as_bytes()
    )
    with db.write() as session:
        maria = User(email="maria@corp.example.ru", name="Мария", role="client", locale="ru")
        session.add(maria)
        session.flush()
        session.add(Participant(ticket_id=1, user_id=maria.id))
        session.add(Suspension(email="maria@corp.example.ru", suspended=True, reason="hard"))
        queued = Outbox(
            kind="answer",
            mail_from="support@example.com",
            rcpt_to=["maria@corp.example.ru"],
            message_id="<x@example.com>",
            raw=b"Subject: x\r\n\r\nx\r\n",
            state="held",
        )
        session.add(queued)
    # Maria takes part in an open ticket but neither requests it nor is assigned.
    removed = cli(path, "users", "remove", "Maria@Corp.Example.RU")
    assert removed.exit_code == 0, removed.output
    assert "removed maria@corp.example.ru" in removed.output
    assert "1 pending mail(s) not sent" in removed.output
    with db.read() as session:
        gone = session.get(User, maria.id)
        assert gone is not None and gone.email == f"removed-{maria.id}@invalid"
        assert gone.name == "" and gone.role == "client"
        assert session.scalars(select(Participant)).all() == []
        assert session.get(Suspension, "maria@corp.example.ru") is None
        row = session.scalar(select(Outbox).where(Outbox.message_id == "<x@example.com>"))
        assert row is not None and row.state == "failed" and "removed" in row.last_reply
        assert len(session.scalars(select(Ticket)).all()) == 1

    # The requester of an open ticket is refused, and accepted once it is closed.
    refused = cli(path, "users", "remove", "ivan.petrov@corp.example.ru")
    assert refused.exit_code == 1 and "open tickets: HD-1" in refused.output
    assert cli(path, "tickets", "close", "HD-1").exit_code == 0
    done = cli(path, "users", "remove", "ivan.petrov@corp.example.ru")
    assert done.exit_code == 0, done.output
    with db.read() as session:
        ticket = session.get(Ticket, 1)
        assert ticket is not None and ticket.subject == "Не работает VPN"
        assert ticket.requester.email.endswith("@invalid")
        assert session.scalar(select(User).where(User.email.like("ivan%"))) is None

    # Mail they send later makes a fresh user and a new ticket; the old one stays closed.
    receive(db, services, mail("Снова VPN", "Опять не работает.", sender=IVAN).as_bytes())
    with db.read() as session:
        fresh = session.scalar(select(User).where(User.email == "ivan.petrov@corp.example.ru"))
        assert fresh is not None and fresh.name == "Иван Петров"
        assert len(session.scalars(select(Ticket)).all()) == 2
    db.dispose()


def test_remove_refuses_config_agents_assignees_and_strangers(tmp_path: Path) -> None:
    path, db, services = desk(tmp_path)
    agent = cli(path, "users", "remove", "ALICE@example.com")
    assert agent.exit_code == 1 and "[[agents]]" in agent.output
    assert cli(path, "users", "add", "olga@пример.рф", "--role", "agent").exit_code == 0
    receive(db, services, mail("Printer", "Jammed.", sender="Jo <jo@mail.test>").as_bytes())
    with db.write() as session:
        olga = session.scalar(select(User).where(User.email == "olga@пример.рф"))
        ticket = session.get(Ticket, 1)
        assert olga is not None and ticket is not None
        ticket.assignee_id = olga.id
    assignee = cli(path, "users", "remove", "olga@пример.рф")
    assert assignee.exit_code == 1 and "HD-1" in assignee.output
    stranger = cli(path, "users", "remove", "nobody@example.net")
    assert stranger.exit_code == 1 and "no user nobody@example.net" in stranger.output
    with db.read() as session:
        assert session.scalar(select(User).where(User.email == "olga@пример.рф")) is not None
    db.dispose()
