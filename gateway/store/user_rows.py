"""Users read by address without the ORM's query machinery, as the session's objects.

The runner looks up a new ticket's Cc addresses for every message that has some: through
the ORM's query (compile-cache look-up, loading, identity bookkeeping) that was a few
percent of its time. Here the statement is compiled once (gateway.store.precompiled) and
each row becomes the session's object as if loaded (gateway.store.direct.attach): the
session's own object where it has one, as the ORM's query returns it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy import inspect as inspect_mapped
from sqlalchemy.orm import Session

from gateway.store import direct
from gateway.store.model import User
from gateway.store.precompiled import Precompiled

_ATTRIBUTES = [p.key for p in inspect_mapped(User).column_attrs]
_EMAIL = _ATTRIBUTES.index("email")
_BY_EMAIL = Precompiled(
    select(*(getattr(User, key) for key in _ATTRIBUTES)).where(
        User.email.in_(bindparam("emails", expanding=True))
    )
)


def by_email(session: Session, emails: list[str]) -> list[User]:
    """The registered users among `emails` (lower-case addresses), in no set order."""
    return [attach(session, row) for row in rows_by_email(session, emails).values()]


def rows_by_email(session: Session, emails: list[str]) -> dict[str, tuple[Any, ...]]:
    """The rows of the registered users among `emails` (lower-case addresses), by address;
    `attach` makes one the session's object (callers that need only some of them)."""
    if session.autoflush:
        # What the ORM's query would have flushed first (the runner's stages do not
        # autoflush: the users it registers are inserted at once, gateway.store.direct).
        session.flush()
    found = _BY_EMAIL.rows(session.connection(), {"emails": emails})
    return {row[_EMAIL]: row for row in found}


def attach(session: Session, row: tuple[Any, ...]) -> User:
    """The session's object of a row from `rows_by_email`."""
    return direct.attach(session, User, dict(zip(_ATTRIBUTES, row, strict=True)))
