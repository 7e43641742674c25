"""Ticket operations shared by the pipeline and the CLI: users, tickets, events, blobs."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gateway.store import direct, fresh, rows, search, user_rows
from gateway.store.model import Blob, Event, Participant, Ticket, User, utcnow

# The defaults of gateway.desk.catalog, for callers without a config; the pipeline and the
# CLI use the configured statuses (`gateway.desk`).
DEFAULT_STATUS = "new"
DEFAULT_CRITICALITY = "medium"
CLOSED_STATUSES = frozenset({"closed", "resolved", "spam"})
# The requester of a mail whose sender could not be read at all (RFC 2606 reserved domain).
UNKNOWN_SENDER = "unknown@invalid"


# Built once: their compiled forms are then cached (the runner asks for every message).
USER_BY_EMAIL = select(User).where(User.email == bindparam("email"))


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(USER_BY_EMAIL, {"email": email.strip().lower()})


def get_or_create_user(session: Session, email: str, name: str = "", role: str = "client") -> User:
    """The user with `email`, registered as a client on first sight."""
    email = email.strip().lower()
    user = find_user(session, email)
    if user is None:
        return create_user(session, email, name, role)
    return named(user, name)


def named(user: User, name: str) -> User:
    """`user`, given `name` if it has none yet (the first mail that says who they are)."""
    if name and not user.name:
        user.name = name[:200]
    return user


# Called with each batch of users just created. The desk's roles module adds its staff
# cache here (the store is below the desk and does not import it); without the desk
# loaded there is no cache to tell.
NEW_USER_HOOKS: list[Callable[[Session, list[User]], None]] = []


def create_user(session: Session, email: str, name: str = "", role: str = "client") -> User:
    """Register `email`, known to be new (`get_or_create_user` when that is not known)."""
    email = email.strip().lower()
    if session.get_bind().dialect.name == "postgresql":
        user = _insert_or_find(session, email, name[:200], role)
    else:
        user = User(email=email, name=name[:200], role=role)
        direct.add(session, user)
    _admit_staff(session, [user])
    return user


_INSERT_USER = (
    postgresql.insert(User).on_conflict_do_nothing(index_elements=["email"]).returning(User.id)
)


def _insert_or_find(session: Session, email: str, name: str, role: str) -> User:
    """PostgreSQL: another daemon may be registering the same person right now (their
    first mails reached two daemons at once). The insert waits for that transaction and,
    once it has committed, does nothing; the user is then the one it made. A plain insert
    would fail on the unique email instead, quarantining an innocent mail."""
    insert = postgresql.insert(User).values(email=email, name=name, role=role)
    made = session.scalars(
        insert.on_conflict_do_nothing(index_elements=["email"]).returning(User)
    ).first()
    if made is not None:
        return made
    found = find_user(session, email)
    assert found is not None  # committed by the other transaction: this statement sees it
    if name and not found.name:
        found.name = name
    return found


def _admit_staff(session: Session, users: list[User]) -> None:
    """A new user may be staff by group: the session's cached staff lists learn of them."""
    fresh.note_users(session, [u.email for u in users])
    for hook in NEW_USER_HOOKS:
        hook(session, users)


_INSERT_EVENT = rows.table_insert(Event)
_INSERT_PARTICIPANT = rows.table_insert(Participant)


def _event_row(
    ticket: Ticket, kind: str, actor: str, old: str | None, new: str | None
) -> dict[str, object]:
    return {
        "ticket_id": ticket.id,
        "actor": actor,
        "kind": kind,
        "old": old,
        "new": new,
        "at": utcnow(),
    }


def add_event(
    session: Session,
    ticket: Ticket,
    kind: str,
    *,
    actor: str = "system",
    old: str | None = None,
    new: str | None = None,
) -> None:
    # A Core insert (gateway.store.rows): history rows are never read back as objects, and
    # skipping the ORM's bookkeeping matters at a few events per message.
    rows.write(session, _INSERT_EVENT, _event_row(ticket, kind, actor, old, new))


class History:
    """Events gathered to be inserted in one statement (`write`), in the order added:
    a new ticket starts with several, and nothing reads them back before it is done."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    def add(
        self,
        ticket: Ticket,
        kind: str,
        *,
        actor: str = "system",
        old: str | None = None,
        new: str | None = None,
    ) -> None:
        self.rows.append(_event_row(ticket, kind, actor, old, new))

    def write(self, session: Session) -> None:
        if self.rows:
            rows.write(session, _INSERT_EVENT, self.rows)
            self.rows = []


def create_ticket(
    session: Session,
    *,
    subject: str,
    requester: User,
    source: str,
    category: str = "",
    criticality: str = DEFAULT_CRITICALITY,
    status: str = DEFAULT_STATUS,
    history: History | None = None,
    public_messages: int = 0,
) -> Ticket:
    """A new ticket, flushed (it has its id); its "created" event goes to `history`
    when given (the caller writes it), else straight to the database. `public_messages`:
    the public messages about to be stored with it (counted in the INSERT)."""
    now = utcnow()
    ticket = Ticket(
        subject=subject[:998],
        requester_id=requester.id,
        status=status,
        closed=False,
        criticality=criticality,
        category=category,
        last_public_by="requester",
        source=source,
        created_at=now,
        updated_at=now,
        public_messages=public_messages,
    )
    # Loaded with it: the notices read the requester (the assignee is nobody yet).
    ticket.requester, ticket.assignee = requester, None
    direct.add(session, ticket)
    fresh.note_ticket(session, ticket.id)
    search.index_ticket(session, ticket.id, ticket.subject)
    if history is not None:
        history.add(ticket, "created", actor=requester.email, new=ticket.subject)
    else:
        add_event(session, ticket, "created", actor=requester.email, new=ticket.subject)
    return ticket


def set_status(
    session: Session, ticket: Ticket, status: str, actor: str, *, closed: bool | None = None
) -> None:
    """Move the ticket to `status`; `closed` is the configured status's flag.

    Closing stamps the resolution time (SLA reports); reopening clears it.
    """
    if ticket.status == status:
        return
    add_event(session, ticket, "status", actor=actor, old=ticket.status, new=status)
    now = utcnow()
    was_closed = ticket.closed
    ticket.status = status
    ticket.closed = status in CLOSED_STATUSES if closed is None else closed
    if ticket.closed and not was_closed:
        ticket.resolved_at = now
    elif was_closed and not ticket.closed:
        ticket.resolved_at = None
    ticket.updated_at = now


def get_or_create_users(
    session: Session, people: list[tuple[str, str]], known: Mapping[str, User] | None = None
) -> list[User]:
    """Users for (email, name) pairs, in order; one query for the known, none when the
    caller has looked them all up already (`known`: every registered user among `people`,
    by lower-case address; an address not in it is registered now)."""
    emails = [email.strip().lower() for email, _ in people]
    if not emails:
        return []
    users = (
        {u.email: u for u in user_rows.by_email(session, emails)} if known is None else dict(known)
    )
    if session.get_bind().dialect.name == "postgresql":
        # One at a time, each safe against another daemon registering them meanwhile.
        for (_, name), email in zip(people, emails, strict=True):
            if email not in users:
                users[email] = create_user(session, email, name)
        return [users[email] for email in dict.fromkeys(emails)]
    found = set(users)
    for (_, name), email in zip(people, emails, strict=True):
        if email not in users:
            users[email] = User(email=email, name=name[:200], role="client")
            direct.add(session, users[email])
    if len(users) > len(found):
        _admit_staff(session, [u for u in users.values() if u.email not in found])
    return [users[email] for email in dict.fromkeys(emails)]


def add_new_ticket_participants(
    session: Session, ticket: Ticket, users: list[User], actor: str, history: History
) -> None:
    """The Cc participants of a ticket just created (it has none yet): one insert, and
    their events in `history`."""
    users = [u for u in users if u.id != ticket.requester_id]
    if not users:
        return
    rows.write(
        session, _INSERT_PARTICIPANT, [{"ticket_id": ticket.id, "user_id": u.id} for u in users]
    )
    for u in users:
        history.add(ticket, "participant_added", actor=actor, new=u.email)


def add_participant(session: Session, ticket: Ticket, user: User, actor: str) -> bool:
    """Add `user` to the ticket's Cc participants; False if already there or the requester."""
    if user.id == ticket.requester_id:
        return False
    exists = session.scalar(
        select(Participant.id).where(
            Participant.ticket_id == ticket.id, Participant.user_id == user.id
        )
    )
    if exists is not None:
        return False
    session.add(Participant(ticket_id=ticket.id, user_id=user.id))
    add_event(session, ticket, "participant_added", actor=actor, new=user.email)
    return True


def participants(session: Session, ticket: Ticket) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Participant, Participant.user_id == User.id)
            .where(Participant.ticket_id == ticket.id)
            .order_by(Participant.id)
        )
    )


def agents(session: Session) -> list[User]:
    return list(
        session.scalars(select(User).where(User.role.in_(("agent", "admin"))).order_by(User.id))
    )


def store_blob(session: Session, sha256: str, data: bytes) -> None:
    """Store attachment content once per hash, safe against a concurrent insert."""
    dialect = session.get_bind().dialect.name
    values = {"sha256": sha256, "size": len(data), "data": data}
    if dialect == "postgresql":
        session.execute(postgresql.insert(Blob).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(Blob).values(values).on_conflict_do_nothing())
    elif session.get(Blob, sha256) is None:
        session.add(Blob(**values))
