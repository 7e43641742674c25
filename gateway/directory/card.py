"""The client card: a requester's directory entry, their organisation and their other open
tickets, as the notifications and `#card` show it. Secret fields are never in it: only
their names, with where to look them up (`helpdesk directory show`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from gateway.directory.records import is_secret
from gateway.store import fresh
from gateway.store.model import DirectoryEntry, Ticket, User, utcnow
from gateway.store.precompiled import Precompiled

OTHER_TICKETS = 5
_ORDER = ("department", "phone", "location", "organisation", "notes")


def entry(session: Session, email: str) -> DirectoryEntry | None:
    return session.scalar(
        select(DirectoryEntry).where(
            DirectoryEntry.kind == "person", DirectoryEntry.key == email.lower()
        )
    )


# Organisations are few (tens, not millions): read them and match in memory.
_MAX_ORGANISATIONS = 5000


class Listed(Protocol):
    """What a card reads of a directory entry: a `DirectoryEntry` or an `Entry`."""

    @property
    def kind(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def fields(self) -> dict[str, str]: ...
    @property
    def equipment(self) -> list[str]: ...
    @property
    def licences(self) -> list[str]: ...
    @property
    def domains(self) -> list[str]: ...
    @property
    def secret(self) -> list[str]: ...


@dataclass(frozen=True)
class Entry:
    """A directory entry read for a card, without the ORM (nothing changes it)."""

    kind: str
    key: str
    name: str
    fields: dict[str, str]
    equipment: list[str]
    licences: list[str]
    domains: list[str]
    secret: list[str]


_WHO = or_(
    and_(DirectoryEntry.kind == "person", DirectoryEntry.key == bindparam("email")),
    DirectoryEntry.kind == "organisation",
)
# Built once (the runner asks for every new ticket's card): its compiled form is cached.
_PERSON_AND_ORGANISATIONS = select(DirectoryEntry).where(_WHO).limit(_MAX_ORGANISATIONS + 1)
_ENTRIES = Precompiled(
    select(
        DirectoryEntry.kind,
        DirectoryEntry.key,
        DirectoryEntry.name,
        DirectoryEntry.fields,
        DirectoryEntry.equipment,
        DirectoryEntry.licences,
        DirectoryEntry.domains,
        DirectoryEntry.secret,
    )
    .where(_WHO)
    .limit(_MAX_ORGANISATIONS + 1)
)


def person_and_organisations(session: Session, email: str) -> tuple[Listed | None, list[Listed]]:
    """The person's entry and every organisation, in one query (each notice needs both)."""
    found: list[Listed]
    if _has_entries(session):
        # Entries this session has (a command may have changed one, unflushed): as the
        # ORM shows them.
        found = list(session.scalars(_PERSON_AND_ORGANISATIONS, {"email": email.lower()}))
    else:
        # Plain rows: a notice reads, and the ORM's objects cost more than the query.
        rows = _ENTRIES.rows(session.connection(), {"email": email.lower()})
        found = [Entry(*row) for row in rows]
    person = next((e for e in found if e.kind == "person"), None)
    orgs = [e for e in found if e.kind == "organisation"][:_MAX_ORGANISATIONS]
    return person, orgs


def _has_entries(session: Session) -> bool:
    """Whether the session holds directory entries as objects (loaded or new)."""
    keys = session.identity_map.keys()
    return any(key[0] is DirectoryEntry for key in keys) or any(
        isinstance(obj, DirectoryEntry) for obj in session.new
    )


def organisation_of(
    session: Session,
    email: str,
    person: Listed | None,
    orgs: Iterable[Listed] | None = None,
) -> Listed | None:
    """By the person's explicit organisation, else by membership, else by mail domain;
    `orgs` is every organisation when the caller has read them already."""
    named = (person.fields.get("organisation", "") if person else "").strip().lower()
    if named:
        if orgs is not None:
            orgs = list(orgs)
            found = next((o for o in orgs if o.key == named), None)
        else:
            found = session.scalar(
                select(DirectoryEntry).where(
                    DirectoryEntry.kind == "organisation", DirectoryEntry.key == named
                )
            )
        if found is not None:
            return found
    domain = email.rpartition("@")[2].lower()
    if orgs is None:
        orgs = session.scalars(
            select(DirectoryEntry)
            .where(DirectoryEntry.kind == "organisation")
            .limit(_MAX_ORGANISATIONS)
        )
    by_member = by_domain = None
    for org in orgs:
        members = [m.strip().lower() for m in org.fields.get("members", "").split(",")]
        if email.lower() in members:
            by_member = org
        elif any(domain == d or domain.endswith("." + d) for d in org.domains):
            by_domain = by_domain or org
    return by_member or by_domain


def _public(e: Listed) -> tuple[list[tuple[str, str]], list[str]]:
    """(field, value) pairs safe for mail, and the names of the secret ones."""
    shown, hidden = [], []
    keys = [k for k in _ORDER if k in e.fields] + sorted(k for k in e.fields if k not in _ORDER)
    for key in keys:
        if is_secret(key, e.secret):
            hidden.append(key)
        else:
            shown.append((key, e.fields[key]))
    return shown, hidden


# A Core query on the session's connection: plain columns need none of the ORM. Compiled
# once (gateway.store.precompiled): a notice about a known requester's ticket reads it.
_OTHER_OPEN = Precompiled(
    select(Ticket.id, Ticket.subject, Ticket.status)
    .where(Ticket.requester_id == bindparam("user_id"), Ticket.closed.is_(False))
    .order_by(Ticket.id.desc())
    .limit(OTHER_TICKETS + 1)
)


def other_open(
    session: Session, user: User, ticket: Ticket | None, prefix: str
) -> list[dict[str, str]]:
    if fresh.only_ticket_of_new_user(session, user.email, ticket.id if ticket else None):
        # Registered by the message in hand, which opened no ticket but this one.
        return []
    found = _OTHER_OPEN.rows(session.connection(), {"user_id": user.id})
    rows = [r for r in found if ticket is None or r[0] != ticket.id]
    return [
        {"tag": f"{prefix}-{row_id}", "subject": subject, "status": status}
        for row_id, subject, status in rows[:OTHER_TICKETS]
    ]


def card(
    session: Session, user: User, ticket: Ticket | None, prefix: str, full: bool = False
) -> dict[str, Any]:
    """The `card` variable of the templates (compact unless `full`); `found` is False for
    a requester the directory does not know."""
    person, orgs = person_and_organisations(session, user.email)
    org = organisation_of(session, user.email, person, orgs)
    shown, hidden = _public(person) if person else ([], [])
    if not full:
        shown = [(k, v) for k, v in shown if k in ("department", "phone", "organisation")]
    if org is not None and not any(k == "organisation" for k, _ in shown):
        shown.append(("organisation", org.name))
    card: dict[str, Any] = {
        "found": person is not None or org is not None,
        "email": user.email,
        "name": (person.name if person else "") or user.name,
        "fields": [{"name": k, "value": v} for k, v in shown],
        "secret": hidden,
        "equipment": list(person.equipment) if person else [],
        "licences": list(person.licences) if person and full else [],
        "open_tickets": other_open(session, user, ticket, prefix),
    }
    if full and org is not None:
        org_shown, org_hidden = _public(org)
        card["organisation"] = {
            "name": org.name,
            "fields": [{"name": k, "value": v} for k, v in org_shown if k != "members"],
            "secret": org_hidden,
            "equipment": list(org.equipment),
            "licences": list(org.licences),
        }
    return card


def as_text(c: dict[str, Any]) -> str:
    """The card in plain text (the `#card` receipt line)."""
    lines = [f"{c['name']} <{c['email']}>" if c["name"] else c["email"]]
    if not c["found"]:
        lines.append("not in the directory (add with `#card set phone=...`)")
    lines += [f"  {f['name']}: {f['value']}" for f in c["fields"]]
    lines += [f"  equipment: {item}" for item in c["equipment"]]
    lines += [f"  licence: {item}" for item in c["licences"]]
    lines += [f"  {name}: see `helpdesk directory show {c['email']}`" for name in c["secret"]]
    org = c.get("organisation")
    if org:
        lines.append(f"  organisation {org['name']}:")
        lines += [f"    {f['name']}: {f['value']}" for f in org["fields"]]
        lines += [f"    equipment: {item}" for item in org["equipment"]]
        lines += [f"    licence: {item}" for item in org["licences"]]
        lines += [f"    {n}: see `helpdesk directory show`" for n in org["secret"]]
    for t in c["open_tickets"]:
        lines.append(f"  open: {t['tag']} {t['subject']} ({t['status']})")
    return "\n".join(lines)


def set_fields(session: Session, email: str, pairs: dict[str, str], actor: str) -> list[str]:
    """`#card set k=v ...`: set (or, with an empty value, remove) fields of a person's
    entry, making one when there is none; the names of what changed."""
    person = entry(session, email)
    if person is None:
        person = DirectoryEntry(
            kind="person",
            key=email.lower(),
            name="",
            fields={},
            equipment=[],
            licences=[],
            domains=[],
            secret=[],
        )
        session.add(person)
    fields = dict(person.fields)
    changed: list[str] = []
    for key, value in pairs.items():
        if key == "name":
            if person.name != value:
                person.name, changed = value, [*changed, key]
        elif key in ("equipment", "licences"):
            items = [v.strip() for v in value.split(";") if v.strip()]
            if getattr(person, key) != items:
                setattr(person, key, items)
                changed.append(key)
        elif fields.get(key, "") != value:
            if value:
                fields[key] = value
            else:
                fields.pop(key, None)
            changed.append(key)
    person.fields = dict(sorted(fields.items()))
    person.secret = sorted(k for k in person.fields if is_secret(k, person.secret))
    person.updated_by = actor
    person.updated_at = utcnow()
    return changed
