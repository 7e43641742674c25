"""A new ticket's Cc colleagues cost one look-up of the users table, however many of them
are registered already: the rows read to choose them are the users registered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.store.model import Participant, Ticket, User
from tests.listing.test_plans import capture, mail
from tests.spam.conftest import Desk


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path)
    yield d
    d.db.dispose()


def _users_reads(sent: list[tuple[str, object]]) -> list[str]:
    return [
        sql for sql, _ in sent if sql.lstrip().upper().startswith("SELECT") and "FROM users" in sql
    ]


def test_cc_colleagues_are_looked_up_once(desk: Desk) -> None:
    first = mail("ivan@corp.example.ru", "Принтер", "Не печатает", Message_ID="<a@c.example>")
    first["Cc"] = "Olga <olga@corp.example.ru>"
    desk.take(first)  # olga is now a registered user
    second = mail("ivan@corp.example.ru", "VPN", "Рвётся", Message_ID="<b@c.example>")
    second["Cc"] = (
        "olga@corp.example.ru, Petr <petr@corp.example.ru>, kim@lab.test, support@example.com"
    )
    sent = capture(desk)
    desk.take(second)

    # The sender's own look-up, then one for the Cc: kim (another domain, unknown) is only
    # proposed; olga (known) and petr (a colleague, new) become participants.
    reads = _users_reads(sent)
    assert len([sql for sql in reads if "users.email IN (" in sql]) == 1, "\n".join(reads)
    with desk.db.read() as s:
        ticket = s.scalars(select(Ticket).where(Ticket.subject == "VPN")).one()
        cc = s.scalars(
            select(User.email)
            .join(Participant, Participant.user_id == User.id)
            .where(Participant.ticket_id == ticket.id)
            .order_by(Participant.id)
        ).all()
        assert cc == ["olga@corp.example.ru", "petr@corp.example.ru"]
        assert s.scalar(select(User.name).where(User.email == "petr@corp.example.ru")) == "Petr"
        assert s.scalar(select(User.id).where(User.email == "kim@lab.test")) is None
