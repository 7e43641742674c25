"""The lookups every mail about a ticket makes (its References, the requester's latest
mail, the hidden notes an answer is checked against) are planned on per-ticket indexes, so
their cost does not grow with the number of tickets."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event

from gateway.disclosure.check import hidden_notes
from gateway.outgoing import mailer, threads
from gateway.store.db import Database, upgrade
from gateway.store.model import Ticket, User


def test_per_ticket_lookups_use_indexes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    upgrade(url)
    db = Database(url)
    sent: list[tuple[str, tuple[object, ...]]] = []

    def capture(_c: object, _cur: object, statement: str, params: object, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, tuple(params) if isinstance(params, (list, tuple)) else ()))

    with db.write() as s:
        user = User(email="kate@corp.example.org", name="Kate")
        s.add(user)
        s.flush()
        ticket = Ticket(subject="x", requester_id=user.id)
        s.add(ticket)
        s.flush()
        event.listen(db.engine, "before_cursor_execute", capture)
        mailer.references(s, ticket, public_only=True)
        mailer.last_mail_of(s, ticket, user)
        hidden_notes(s, ticket, exclude=None)
        # Every copy of one mail (the requester's, each participant's): two lookups in all.
        other = User(email="olga@corp.example.org", name="Olga")
        s.add(other)
        s.flush()
        before = len(sent)
        threads.plan(s, ticket, [user, other], None, None)
        copies = sent[before:]
        event.remove(db.engine, "before_cursor_execute", capture)
    plans = []
    with db.engine.connect() as conn:
        for statement, params in sent:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            plans.append(" ".join(str(r) for r in rows))
    db.dispose()
    refs, last, notes, copy_refs, copy_last = (
        p for p in plans if "message_refs" in p or "messages" in p
    )
    assert "ix_message_refs_ticket" in refs, refs
    assert "ix_messages_ticket" in last, last
    assert "ix_messages_ticket" in notes, notes
    assert len(copies) == 2, copies
    assert "ix_message_refs_ticket" in copy_refs, copy_refs
    assert "ix_messages_ticket" in copy_last, copy_last
