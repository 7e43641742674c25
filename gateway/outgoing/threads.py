"""In-Reply-To and References of mail about a ticket, for every copy of one mail at once.

Each recipient gets a copy of their own (gateway.outgoing.mailer), so each copy has its own
threading headers: only the Message-IDs that recipient may be shown. Worked out for all the
copies of a mail in two queries, not two per copy, so that a ticket with many participants
costs a mail one pass over its references rather than one pass per recipient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, or_, select
from sqlalchemy.orm import Session

from gateway.outgoing import compose
from gateway.store import fresh
from gateway.store.model import Inbound, Message, MessageRef, Ticket, User
from gateway.store.precompiled import Precompiled


@dataclass(frozen=True)
class Threading:
    in_reply_to: str | None
    references: list[str]


def references(session: Session, ticket: Ticket, public_only: bool = False) -> list[str]:
    """The Message-IDs of the ticket's mail, oldest first (for References); with
    `public_only`, only those its requester has seen (no hidden note, no agents' mail)."""
    known = fresh.refs_of(session, ticket.id)
    if known is not None:  # a ticket the message in hand opened: all its ids are here
        return [r.message_id for r in known if not (public_only and r.private)]
    query = _PUBLIC_REFS if public_only else _REFS
    return [message_id for (message_id,) in query.rows(_connection(session), {"t": ticket.id})]


# Precompiled (the runner asks for every reply's notices: gateway.store.precompiled).
_REFS = Precompiled(
    select(MessageRef.message_id)
    .where(MessageRef.ticket_id == bindparam("t"))
    .order_by(MessageRef.id)
)
_PUBLIC_REFS = Precompiled(
    select(MessageRef.message_id)
    .where(MessageRef.ticket_id == bindparam("t"), MessageRef.private.is_(False))
    .order_by(MessageRef.id)
)
_REFS_ROWS = Precompiled(
    select(MessageRef.message_id, MessageRef.outgoing, MessageRef.recipient_id, MessageRef.private)
    .where(
        MessageRef.ticket_id == bindparam("t"),
        or_(
            MessageRef.outgoing.is_(False),
            MessageRef.recipient_id.in_(bindparam("ids", expanding=True)),
        ),
    )
    .order_by(MessageRef.id)
)


def _connection(session: Session) -> Connection:
    """The session's connection, after the flush the ORM's own query would have made
    (the runner's stages do not autoflush; the CLI's sessions do)."""
    if session.autoflush:
        session.flush()
    return session.connection()


def last_mail_of(session: Session, ticket: Ticket, user: User) -> str | None:
    """The Message-ID of `user`'s latest mail on the ticket (what an answer replies to)."""
    return _last_mails(session, ticket, [user.id]).get(user.id)


def _last_mails(session: Session, ticket: Ticket, user_ids: Sequence[int]) -> dict[int, str]:
    """Each user's latest received mail on the ticket, by user id, in one query."""
    if not user_ids or fresh.refs_of(session, ticket.id) is not None:
        # None asked, or a ticket the message in hand opened: its only mail is that
        # message, whose Message-ID the runner writes to the spool row when it is done.
        return {}
    found: dict[int, str] = {}
    rows = session.execute(
        select(Message.author_id, Inbound.message_id)
        .join(Inbound, Message.inbound_id == Inbound.id)
        .where(
            Message.ticket_id == ticket.id,
            Message.author_id.in_(list(user_ids)),
            Inbound.message_id.is_not(None),
        )
        .order_by(Message.id.desc())
    )
    for author_id, message_id in rows:
        if author_id is not None and message_id and author_id not in found:
            found[author_id] = message_id
            if len(found) == len(user_ids):
                break
    return found


def visible_refs(session: Session, ticket: Ticket, users: Sequence[User]) -> dict[int, list[str]]:
    """For each of `users` (by id), the ticket's Message-IDs they may be shown, oldest first.

    Never the desk's mail to anyone else: the id of a mail sent to a person proves, when
    answered, that this person wrote the answer (gateway.commands.auth), so shown to someone
    else it would let them act as that person — an agent, or the requester whose copy a
    participant would otherwise see. To a non-agent also no private id: hidden notes and
    agents' own mail.
    """
    ids = [u.id for u in users]
    known = fresh.refs_of(session, ticket.id)
    rows: Sequence[tuple[str, bool, int | None, bool]]
    if known is not None:  # a ticket the message in hand opened: all its ids are here
        rows = [
            (r.message_id, r.outgoing, r.recipient_id, r.private)
            for r in known
            if not r.outgoing or r.recipient_id in ids
        ]
    else:
        rows = _refs_rows(session, ticket, ids)
    seen: dict[int, list[str]] = {u.id: [] for u in users}
    agent_ids = {u.id for u in users if u.is_agent}
    everyone = list(seen.values())
    agents = [seen[i] for i in agent_ids]
    # One pass: a received id goes to every copy that may show it, a sent one only to the
    # copy of its own recipient; the work is the size of the headers written, no more.
    for message_id, outgoing, recipient_id, private in rows:
        if outgoing:
            own = seen.get(recipient_id) if recipient_id is not None else None
            if own is not None and (not private or recipient_id in agent_ids):
                own.append(message_id)
            continue
        for refs in agents if private else everyone:
            refs.append(message_id)
    return seen


def _refs_rows(
    session: Session, ticket: Ticket, ids: list[int]
) -> Sequence[tuple[str, bool, int | None, bool]]:
    """The ticket's received ids and its sent ones to `ids`, oldest first, in one query."""
    rows = _REFS_ROWS.rows(_connection(session), {"t": ticket.id, "ids": ids})
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def plan(
    session: Session,
    ticket: Ticket,
    users: Sequence[User],
    in_reply_to: str | None,
    given: list[str] | None,
) -> dict[int, Threading]:
    """In-Reply-To and References for a copy to each of `users`: only ids that user may
    see (`visible_refs`); `given` (the caller's References) is filtered the same way. A copy
    to a non-agent replies to that person's own latest mail when the caller's In-Reply-To
    is not theirs to see, so their client threads it under what they wrote."""
    visible = visible_refs(session, ticket, users)
    people = [u for u in users if not u.is_agent]
    last = _last_mails(session, ticket, [u.id for u in people])
    result: dict[int, Threading] = {}
    for user in users:
        mine = visible[user.id]
        allowed = {compose.bare_id(r) for r in mine}
        refs = mine if given is None else [r for r in given if compose.bare_id(r) in allowed]
        if user.is_agent:
            result[user.id] = Threading(in_reply_to, refs)
            continue
        known = in_reply_to is not None and compose.bare_id(in_reply_to) in allowed
        result[user.id] = Threading(in_reply_to if known else last.get(user.id), refs)
    return result
