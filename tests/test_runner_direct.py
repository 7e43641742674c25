"""New tickets, messages and users inserted directly (gateway.store.direct): a message
rolled back after creating them leaves nothing behind, neither rows nor objects in the
batch's session, so the next message of the same batch, given the same ids, is whole."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway import spool
from gateway.daemon.runner import Runner
from gateway.daemon.supervisor import prepare_database
from gateway.pipeline import Context, Stage, build_pipeline
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.store import direct
from gateway.store.db import Database
from gateway.store.model import Event, Inbound, Message, MessageRef, Outbox, Ticket, User
from tests.harness import write_config

# What the failing message created, kept alive as a cache of the batch might keep it (the
# session's identity map holds objects weakly: unreferenced, they would just vanish).
_KEPT: list[object] = []


def _explode_on_poison(ctx: Context) -> None:
    # After notify: the ticket, its message, its requester and its mail all exist.
    if "POISON" in ctx.mail.subject:
        _KEPT.extend([ctx.ticket, ctx.message, ctx.sender])
        raise ValueError("cannot handle this one")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[Database, Runner]]:
    # Every new ticket is assigned by the assign stage: a change after its INSERT.
    cfg = config_mod.load(
        write_config(tmp_path, '[tickets]\ndefault_assignee = "bob@example.com"\n')
    )
    db = prepare_database(cfg)
    pipeline = (*build_pipeline(), Stage("explode", _explode_on_poison))
    yield db, Runner(db, Services.from_config(cfg), pipeline=pipeline)
    _KEPT.clear()
    db.dispose()


def _spool(db: Database, senders_subjects: list[tuple[str, str]]) -> None:
    with db.write() as s:
        for i, (sender, subject) in enumerate(senders_subjects):
            msg = EmailMessage()
            msg["From"], msg["To"] = sender, "support@example.com"
            msg["Subject"], msg["Message-ID"] = subject, f"<d{i}@mail.example>"
            msg.set_content(f"{subject}: the printer prints nothing.\n")
            spool.store(
                s, msg.as_bytes(), source="smtp", mail_from=sender, rcpt_to=["support@example.com"]
            )


def test_a_rolled_back_message_leaves_no_ticket_user_or_object(
    desk: tuple[Database, Runner],
) -> None:
    db, runner = desk
    _spool(
        db,
        [
            ("ann@corp.example", "Printer 1"),
            ("bob@corp.example", "POISON printer"),
            ("cid@corp.example", "Printer 2"),
            ("bob@corp.example", "Printer 3"),
        ],
    )
    assert runner.run_once() == 4  # one batch, one session
    with db.read() as s:
        states = [r.state for r in s.scalars(select(Inbound).order_by(Inbound.id))]
        assert states == ["done", "quarantined", "done", "done"]
        tickets = list(s.scalars(select(Ticket).order_by(Ticket.id)))
        # The ids freed by the rollback are given again, to the next message's rows.
        assert [t.id for t in tickets] == [1, 2, 3]
        assert [(t.subject, t.requester.email) for t in tickets] == [
            ("Printer 1", "ann@corp.example"),
            ("Printer 2", "cid@corp.example"),
            ("Printer 3", "bob@corp.example"),
        ]
        messages = list(s.scalars(select(Message).order_by(Message.id)))
        assert [(m.ticket_id, m.author_id) for m in messages] == [
            (t.id, t.requester_id) for t in tickets
        ]
        emails = set(s.scalars(select(User.email)))
        assert {"ann@corp.example", "bob@corp.example", "cid@corp.example"} <= emails
        # Everything the rolled-back message wrote is gone with it.
        for model in (Event, MessageRef, Outbox):
            ticket_ids = set(s.scalars(select(model.ticket_id)))
            assert ticket_ids <= {t.id for t in tickets}, model
        confirmations = s.scalars(select(Outbox.rcpt_to).where(Outbox.kind == "confirmation"))
        assert sorted(r[0] for r in confirmations) == [
            "ann@corp.example",
            "bob@corp.example",
            "cid@corp.example",
        ]


def test_a_later_change_to_a_directly_inserted_ticket_is_written(
    desk: tuple[Database, Runner],
) -> None:
    """The objects are the session's like any loaded one: the assign stage's change to
    the new ticket is flushed as an UPDATE, and the spool row's outcome is complete."""
    db, runner = desk
    _spool(db, [("ann@corp.example", "Printer 1")])
    assert runner.drain() == 1
    with db.read() as s:
        ticket = s.scalars(select(Ticket)).one()
        assert ticket.assignee is not None and ticket.assignee.email == "bob@example.com"
        assert ticket.requester.email == "ann@corp.example"
        row = s.scalars(select(Inbound)).one()
        assert (row.state, row.ticket_id, row.message_id) == ("done", ticket.id, "d0@mail.example")
        assert row.trace and row.processed_at is not None and row.dedupe_key is not None
        notices = s.scalars(select(Outbox.rcpt_to).where(Outbox.kind == "agent_new_ticket"))
        assert [r[0] for r in notices] == ["bob@example.com"]


def test_a_row_attached_is_the_sessions_object_and_its_changes_are_written(
    desk: tuple[Database, Runner],
) -> None:
    db, _runner = desk
    with db.write() as s:
        s.add(User(email="ann@x.example", name="", role="client"))
    with db.write() as s:
        table = User.__table__.c
        row = s.execute(select(*table).where(table.email == "ann@x.example")).mappings().one()
        ann = direct.attach(s, User, dict(row))
        assert direct.attach(s, User, dict(row)) is ann and s.get(User, row["id"]) is ann
        assert not s.dirty and ann.email == "ann@x.example"
        ann.name = "Ann"  # an attached object's change is flushed as for a loaded one
    with db.read() as s:
        assert s.scalars(select(User.name).where(User.email == "ann@x.example")).all() == ["Ann"]
