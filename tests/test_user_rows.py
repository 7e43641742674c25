"""Users read by address without the ORM's query (gateway.store.user_rows), on a real
SQLite file: the objects an ORM query would give, and a new ticket's Cc through the
runner made participants as before."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from gateway import spool
from gateway.daemon.runner import Runner
from gateway.daemon.supervisor import prepare_database
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.store import tickets, user_rows
from gateway.store.db import Database, upgrade
from gateway.store.model import Participant, Ticket, User
from tests.harness import write_config


def test_the_objects_an_orm_query_gives(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'helpdesk.db'}"
    upgrade(url)
    db = Database(url)
    with db.write() as session:
        session.add(User(email="ann@example.com", name="Ann", role="client"))
    with db.write() as session:
        loaded = session.scalars(select(User).where(User.email == "ann@example.com")).one()
        # Pending, not flushed: an ORM query (autoflush) would see it, and so must this.
        session.add(User(email="bob@example.com", name="Bob", role="agent"))
        asked = ["bob@example.com", "ann@example.com", "x@example.com"]
        found = {u.email: u for u in user_rows.by_email(session, asked)}
        assert set(found) == {"ann@example.com", "bob@example.com"}
        assert found["ann@example.com"] is loaded  # the session's own object
        assert found["bob@example.com"].role == "agent" and found["bob@example.com"].id
    with db.write() as session:
        (ann,) = user_rows.by_email(session, ["ann@example.com"])
        assert ann in session and ann.name == "Ann"
        assert isinstance(ann.created_at, dt.datetime)
        ann.name = "Ann Lee"  # a change to an attached object is flushed as to any other
    with db.read() as session:
        assert tickets.find_user(session, "ann@example.com").name == "Ann Lee"  # type: ignore[union-attr]
    db.dispose()


def test_a_new_tickets_cc_become_participants(tmp_path: Path) -> None:
    cfg = config_mod.load(write_config(tmp_path, "[loop]\nmax_auto_replies_per_day = 100\n"))
    db = prepare_database(cfg)
    with db.write() as session:
        session.add(User(email="known@example.org", name="Known", role="client"))
    mail = EmailMessage()
    mail["From"] = "Req <req@example.org>"
    mail["To"] = "support@example.com"
    mail["Cc"] = "known@example.org, New One <new@example.org>"
    mail["Subject"] = "Printer"
    mail["Message-ID"] = "<cc-1@example.org>"
    mail.set_content("It is broken.")
    with db.write() as session:
        spool.store(session, mail.as_bytes(), source="test", rcpt_to=["support@example.com"])
    assert Runner(db, Services.from_config(cfg)).drain() == 1
    with db.read() as session:
        ticket = session.scalars(select(Ticket)).one()
        emails = session.scalars(
            select(User.email).join(Participant).where(Participant.ticket_id == ticket.id)
        ).all()
        assert sorted(emails) == ["known@example.org", "new@example.org"]
        names = {email: name for email, name in session.execute(select(User.email, User.name))}
        assert names["known@example.org"] == "Known" and names["new@example.org"] == "New One"
    db.dispose()
