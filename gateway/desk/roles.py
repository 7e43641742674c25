"""Who someone is: the effective role and the groups of an address.

The users table wins when it says more than "client" (an `[[agents]]` entry or `users add`);
otherwise the user's own group, then `[[groups]]` membership (emails or `@domain`) decide;
everyone else is a client. Requesters are registered as clients on first mail, so a stored
"client" does not hide a group's role.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, event, or_, select
from sqlalchemy.orm import Session

from gateway.settings.config import AGENT_ROLES, Config
from gateway.store.model import User
from gateway.store.tickets import NEW_USER_HOOKS


def _member(pattern: str, email: str) -> bool:
    pattern = pattern.strip().lower()
    if pattern.startswith("@"):
        return email.endswith(pattern)
    return pattern == email


def groups_of(cfg: Config, email: str, user: User | None = None) -> list[str]:
    """The names of the groups `email` belongs to: the user's own first, then `[[groups]]`."""
    email = email.strip().lower()
    found: list[str] = []
    if user is not None and user.group:
        found.append(user.group)
    for group in cfg.groups:
        if group.name not in found and any(_member(m, email) for m in group.members):
            found.append(group.name)
    return found


def role_of(session: Session, cfg: Config, email: str) -> str:
    """The effective role of `email`: denied, client, agent, demo or admin."""
    email = email.strip().lower()
    user = session.scalar(select(User).where(User.email == email))
    return role_for(cfg, email, user)


def role_for(cfg: Config, email: str, user: User | None) -> str:
    if user is not None and user.role != "client":
        return user.role
    roles = {g.name: g.role for g in cfg.groups}
    for name in groups_of(cfg, email, user):
        if name in roles:
            return roles[name]
    return "client"


def is_agent(session: Session, cfg: Config, email: str) -> bool:
    return role_of(session, cfg, email) in AGENT_ROLES


STAFF_CACHE = "helpdesk.staff"


class StaffCache:
    """The staff lists asked for in a session's transaction, by the roles asked for."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.lists: dict[tuple[str, ...], list[User]] = {}

    def admit(self, users: list[User]) -> None:
        """New users may be staff by group: add them where they belong, in id order,
        exactly as a fresh query would (saves that query for every new requester)."""
        for roles, staff_list in self.lists.items():
            joining = [u for u in users if role_for(self.cfg, u.email, u) in roles]
            if joining:
                staff_list.extend(joining)
                staff_list.sort(key=lambda u: u.id)


def staff(session: Session, cfg: Config, roles: tuple[str, ...] = AGENT_ROLES) -> list[User]:
    """Known users whose effective role is one of `roles` (admins: `("admin",)`).

    Kept for the session's transaction (a runner batch asks once per message); users
    created meanwhile are added to it (`admit_staff`); any rollback, a savepoint's
    included, drops it, as it may hold users the rollback took away.
    """
    cache = session.info.get(STAFF_CACHE)
    if not isinstance(cache, StaffCache) or cache.cfg is not cfg:
        cache = session.info[STAFF_CACHE] = StaffCache(cfg)
    if roles not in cache.lists:
        cache.lists[roles] = _staff(session, cfg, roles)
    return list(cache.lists[roles])


def admit_staff(session: Session, users: list[User]) -> None:
    """Tell the session's cached staff lists, if any, of users just created."""
    cache = session.info.get(STAFF_CACHE)
    if isinstance(cache, StaffCache):
        cache.admit(users)


NEW_USER_HOOKS.append(admit_staff)


@event.listens_for(Session, "after_soft_rollback")
def _forget_staff(session: Session, _previous: object) -> None:
    session.info.pop(STAFF_CACHE, None)


def _staff(session: Session, cfg: Config, roles: tuple[str, ...]) -> list[User]:
    # Narrow in SQL (requesters are many), then apply the precedence rules exactly.
    granting = [g for g in cfg.groups if g.role in roles]
    members = [m.strip().lower() for g in granting for m in g.members]
    by_group = [
        User.group.in_([g.name for g in granting]),
        User.email.in_([m for m in members if not m.startswith("@")]),
        *(User.email.like(f"%{m}") for m in members if m.startswith("@")),
    ]
    condition: ColumnElement[bool] = User.role.in_(roles)
    if granting:
        # Without groups granting these roles the staff are one range of the role index.
        condition = or_(condition, and_(User.role == "client", or_(*by_group)))
    query = select(User).where(condition)
    users = session.scalars(query.order_by(User.id))
    return [u for u in users if role_for(cfg, u.email, u) in roles]


def admins(session: Session, cfg: Config) -> list[User]:
    return staff(session, cfg, ("admin",))
