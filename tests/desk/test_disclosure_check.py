"""find_leak: a note's words found in an answer however quoting re-wrapped them; short and
quoted parts of notes; the notice's wording in ru and en."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from gateway.disclosure import find_leak
from gateway.settings import config as config_mod
from gateway.store.db import Database, upgrade
from gateway.store.model import Message, Ticket, User
from tests.harness import write_config

NOTE = "The vendor admitted the firmware bug; do not promise a date to the customer."


@pytest.fixture
def session(tmp_path: Path) -> Iterator[tuple[Session, Ticket]]:
    cfg = config_mod.load(write_config(tmp_path))
    upgrade(cfg.database_url)
    db = Database.from_config(cfg)
    with db.write() as s:
        user = User(email="kate@corp.example.org", name="Kate")
        s.add(user)
        s.flush()
        ticket = Ticket(subject="printer", requester_id=user.id)
        s.add(ticket)
        s.flush()
        for body in (NOTE, "ok", "> quoted question of the requester, not secret at all\nyes"):
            s.add(
                Message(
                    ticket_id=ticket.id,
                    kind="note",
                    hidden=True,
                    body=body,
                    created_at=dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC),
                )
            )
        s.flush()
        yield s, ticket
    db.dispose()


@pytest.mark.parametrize(
    "answer",
    [
        f"Hello,\n\n{NOTE}",
        "Hi!\n> The vendor admitted the\n> firmware BUG; do not promise a date\n",
        "Hello, the vendor admitted the firmware bug; we are on it.",
        "Alice left a hidden note on ticket HD-1 (the requester does not see it):",
        "Алиса оставил(а) скрытую заметку в заявке HD-1 (заявитель её не видит):",
    ],
)
def test_leaks_are_found(session: tuple[Session, Ticket], answer: str) -> None:
    s, ticket = session
    assert find_leak(s, ticket, answer, answer)


@pytest.mark.parametrize(
    "answer",
    [
        "ok, the printer works again",
        "The quoted question of the requester, not secret at all: yes, fixed.",
        "The vendor is sending a new part.",
    ],
)
def test_ordinary_answers_go(session: tuple[Session, Ticket], answer: str) -> None:
    s, ticket = session
    assert find_leak(s, ticket, answer, answer) == ""


def test_quoted_notice_holds_even_when_cut(session: tuple[Session, Ticket]) -> None:
    s, ticket = session
    mail = "Fixed.\n\nOn Mon, Bob wrote:\n> Alice left a hidden note on ticket HD-1 (the "
    mail += f"requester does not see it):\n> {NOTE}\n"
    assert "quotes" in find_leak(s, ticket, "Fixed.", mail)
