"""What the message being processed has created so far, so that it need not be read back.

A ticket opened by the message in hand has, in the database, exactly the Message-IDs,
outbox rows and automatic-reply records this message wrote for it; a user registered by
it has no automatic mail but what this message queued (`helpdesk users remove` deletes an
address's automatic-mail records with it). The runner opens one `Fresh`
record per message (`begin`) and closes it when the message ends (`end`); the writers of
those rows note them here (`note_ref`, `note_relayed`, `note_auto_reply`), and the
readers ask here first (`refs_of`, `relayed`, `auto_replies`), going to the database
only for rows this message did not create. Outside the runner (the CLI, the
scheduler) there is no record and every question goes to the database.

Three savings follow on the path of every new ticket: the References and relay-limit
queries of its confirmation and agent notices, the daily automatic-mail count of a
requester seen for the first time, and one insert for all of its Message-IDs and one for
all of its outbox rows (`write_pending`), which nothing reads back meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, SessionTransaction

from gateway.store import rows
from gateway.store.model import MessageRef, Outbox, utcnow

# The session's `info` key of the current message's record.
FRESH_KEY = "helpdesk.fresh"

_INSERT_REF = rows.table_insert(MessageRef)
_INSERT_OUTBOX = rows.table_insert(Outbox)


@dataclass(frozen=True)
class Ref:
    """A Message-ID written for a ticket, with what decides who may be shown it."""

    message_id: str
    outgoing: bool
    recipient_id: int | None
    private: bool


@dataclass
class Fresh:
    """Rows the current message created (see the module docstring)."""

    # Tickets opened by this message -> the Message-IDs written for them, in order.
    tickets: dict[int, list[Ref]] = field(default_factory=dict)
    # Tickets opened by this message -> inbound ids of the outbox rows not held.
    relays: dict[int, set[int]] = field(default_factory=dict)
    # Addresses of users registered by this message -> automatic mails queued to them.
    users: dict[str, int] = field(default_factory=dict)
    # Message-IDs and outbox rows of those tickets not inserted yet: one insert each at
    # the message's end.
    pending: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    # Objects inserted by a Core statement (gateway.store.direct): expunged on a rollback
    # of the message's savepoint, the only one they are inserted in.
    inserted: list[Any] = field(default_factory=list)
    savepoint: SessionTransaction | None = None


def begin(session: Session) -> Fresh:
    """Open the record of a new message on `session` (replacing any earlier one)."""
    record = Fresh()
    session.info[FRESH_KEY] = record
    return record


def write_pending(session: Session) -> None:
    """Insert the Message-IDs and the outbox rows noted for this message's tickets, one
    statement each; the runner calls it before the message's work is committed (later
    messages thread by them)."""
    record = current(session)
    if record is None:
        return
    if record.pending:
        rows.write(session, _INSERT_REF, record.pending)
        record.pending = []
    if record.outbox:
        rows.write(session, _INSERT_OUTBOX, record.outbox)
        record.outbox = []


def defer_outbox(session: Session, values: dict[str, Any]) -> bool:
    """Keep an outbox row about a ticket this message opened for `write_pending`; False
    (the caller inserts it) for any other row. Nothing reads such a row back before the
    message ends: the relay limit counts them here (`relayed`), and a held row, which an
    agent's answer looks up, is never deferred."""
    record = current(session)
    if record is None or values["ticket_id"] not in record.tickets or values["state"] == "held":
        return False
    record.outbox.append(values)
    return True


def end(session: Session) -> None:
    """Close the record: later work on the session reads the database again."""
    session.info.pop(FRESH_KEY, None)


def current(session: Session) -> Fresh | None:
    found = session.info.get(FRESH_KEY)
    return found if isinstance(found, Fresh) else None


def note_ticket(session: Session, ticket_id: int) -> None:
    record = current(session)
    if record is not None:
        record.tickets[ticket_id] = []
        record.relays[ticket_id] = set()


def note_users(session: Session, emails: list[str]) -> None:
    record = current(session)
    if record is not None:
        for email in emails:
            record.users.setdefault(email, 0)


def write_ref(
    session: Session,
    *,
    message_id: str,
    ticket_id: int,
    outgoing: bool = False,
    recipient_id: int | None = None,
    private: bool = False,
) -> None:
    """Insert a Message-ID of `ticket_id` (a Core insert: readers of the same transaction
    see it); for a ticket this message opened, only note it: its readers ask `refs_of`,
    and `write_pending` inserts all of them at once."""
    values: dict[str, Any] = {
        "message_id": message_id,
        "ticket_id": ticket_id,
        "outgoing": outgoing,
        "recipient_id": recipient_id,
        "private": private,
        "created_at": utcnow(),
    }
    record = current(session)
    if record is not None and ticket_id in record.tickets:
        record.tickets[ticket_id].append(Ref(message_id, outgoing, recipient_id, private))
        record.pending.append(values)
    else:
        rows.write(session, _INSERT_REF, values)


def refs_of(session: Session, ticket_id: int) -> list[Ref] | None:
    """Every Message-ID of a ticket this message opened, oldest first; None for any
    other ticket (ask the database)."""
    record = current(session)
    if record is None or ticket_id not in record.tickets:
        return None
    return list(record.tickets[ticket_id])


def note_relayed(session: Session, ticket_id: int | None, inbound_id: int | None) -> None:
    """An outbox row not held was written for `ticket_id`, caused by `inbound_id`."""
    record = current(session)
    if record is None or ticket_id is None or ticket_id not in record.relays:
        return
    if inbound_id is not None:  # the relay count counts causing messages, never NULL
        record.relays[ticket_id].add(inbound_id)


def relayed(session: Session, ticket_id: int) -> int | None:
    """How many received messages caused mail about a ticket this message opened (the
    relay limit's count); None for any other ticket."""
    record = current(session)
    if record is None or ticket_id not in record.relays:
        return None
    return len(record.relays[ticket_id])


def only_ticket_of_new_user(session: Session, email: str, ticket_id: int | None) -> bool:
    """Whether `email` was registered by this message and the message opened no ticket
    but `ticket_id` (so the user has no other ticket at all)."""
    record = current(session)
    if record is None or email not in record.users:
        return False
    return all(t == ticket_id for t in record.tickets)


def note_auto_reply(session: Session, address: str) -> None:
    record = current(session)
    if record is not None and address in record.users:
        record.users[address] += 1


def auto_replies(session: Session, address: str) -> int | None:
    """Automatic mails queued today to a user this message registered; None for others."""
    record = current(session)
    if record is None or address not in record.users:
        return None
    return record.users[address]
