"""Changes of a ticket by the rules: status, assignee, criticality, category, ratings.

Each records a history event with its actor, queues the notices the rules require, and
never commits. An unknown name raises InvalidValue before anything changes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.desk import catalog, clock, notices, sla
from gateway.desk.errors import InvalidValue
from gateway.services import Services
from gateway.store import tickets
from gateway.store.model import Message, Rating, Ticket, User, utcnow


def _set_status(
    services: Services, session: Session, ticket: Ticket, name: str, actor: str
) -> None:
    closed = catalog.is_closed(services.cfg, name)
    old = ticket.status
    if old == name:
        return
    tickets.set_status(session, ticket, name, actor, closed=closed)
    clock.status_changed(session, services.cfg, ticket, old, actor, utcnow())


# Statuses the requester hears of when an agent moves the ticket there: the notice's
# `[notifications]` switch, by the status's name.
_REQUESTER_NOTICES = {"resolved": "status_resolved", "waiting": "status_waiting"}


def _tell_requester(
    session: Session, services: Services, ticket: Ticket, old: str, actor: User
) -> None:
    """A short notice to the requester of a status they care about, set by someone else."""
    if ticket.status == old or actor.id == ticket.requester_id:
        return
    kind = _REQUESTER_NOTICES.get(ticket.status)
    if kind is None and ticket.closed and ticket.status != catalog.SPAM:
        kind = "status_closed"
    elif kind is None and catalog.pauses_sla(services.cfg, ticket.status):
        kind = "status_waiting"
    if kind is None:
        return
    status = catalog.status_def(services.cfg, ticket.status)
    context = {
        "actor": notices.person(actor),
        "status": {
            "name": ticket.status,
            "label": status.label(ticket.requester.locale or services.cfg.helpdesk.locale)
            if status
            else ticket.status,
        },
    }
    notices.send(session, services, ticket, kind, ticket.requester, context, event="status_notice")


def change_status(
    session: Session, services: Services, ticket: Ticket, status: str, actor: User
) -> None:
    """Move to a status named by its name or its Russian or English label (any case)."""
    found = catalog.find_status(services.cfg, status)
    old = ticket.status
    _set_status(services, session, ticket, found.name, actor.email)
    _tell_requester(session, services, ticket, old, actor)


def move_status(
    session: Session, services: Services, ticket: Ticket, name: str, actor: User
) -> None:
    """Move to a configured status by the rules (an answer, the requester's reply)."""
    _set_status(services, session, ticket, name, actor.email)


def set_extra(session: Session, ticket: Ticket, actor: User) -> bool:
    """Flag the ticket as extra work (#extra); False when it already was."""
    if ticket.extra:
        return False
    ticket.extra = True
    tickets.add_event(session, ticket, "extra", actor=actor.email, new="extra work")
    return True


def close(session: Session, services: Services, ticket: Ticket, actor: User) -> None:
    """Close to the first closed status that is not spam."""
    old = ticket.status
    _set_status(services, session, ticket, catalog.closing_status(services.cfg), actor.email)
    _tell_requester(session, services, ticket, old, actor)


def reopen(session: Session, services: Services, ticket: Ticket, actor: User) -> None:
    """A closed ticket goes back to `[tickets] reopen_status`; an open one stays as it is."""
    if not ticket.closed:
        return
    _set_status(services, session, ticket, services.cfg.tickets.reopen_status, actor.email)
    tickets.add_event(session, ticket, "reopened", actor=actor.email, new=ticket.status)


def set_assignee(session: Session, ticket: Ticket, assignee: User | None, actor: str) -> bool:
    """Change the assignee with its event, telling nobody; False when nothing changed."""
    new_id = assignee.id if assignee is not None else None
    if ticket.assignee_id == new_id:
        return False
    old = ticket.assignee
    tickets.add_event(
        session,
        ticket,
        "assignee",
        actor=actor,
        old=old.email if old is not None else None,
        new=assignee.email if assignee is not None else None,
    )
    ticket.assignee_id = new_id
    ticket.assignee = assignee
    ticket.updated_at = utcnow()
    return True


def assign(
    session: Session, services: Services, ticket: Ticket, assignee: User | None, actor: User
) -> None:
    """Assign (None: unassign). The new assignee hears of it unless they did it themselves;
    the requester hears who now takes care of the request."""
    previous = ticket.assignee
    if not set_assignee(session, ticket, assignee, actor.email):
        return
    if previous is not None:
        target = assignee.email if assignee is not None else "nobody"
        clock.recompute(
            session, services.cfg, ticket, f"reassigned to {target}", actor.email, utcnow()
        )
    if assignee is None:
        return
    context = {
        "actor": notices.person(actor),
        "previous": notices.person(previous),
        "request": _first_request(session, ticket),
    }
    if assignee.id != actor.id:
        notices.send(session, services, ticket, "assigned", assignee, context)
    if ticket.requester_id not in (assignee.id, actor.id) and not ticket.closed:
        notices.send(session, services, ticket, "reassigned", ticket.requester, context)


def _first_request(session: Session, ticket: Ticket) -> dict[str, str]:
    first = session.scalar(
        select(Message)
        .where(Message.ticket_id == ticket.id, Message.hidden.is_(False))
        .order_by(Message.id)
        .limit(1)
    )
    return {"subject": first.subject if first else "", "body": first.body if first else ""}


def set_criticality(
    session: Session, services: Services, ticket: Ticket, level: str, actor: User
) -> None:
    name = catalog.find_level(services.cfg, level)
    if name == ticket.criticality:
        return
    tickets.add_event(
        session, ticket, "criticality", actor=actor.email, old=ticket.criticality, new=name
    )
    old = ticket.criticality
    ticket.criticality = name
    ticket.updated_at = utcnow()
    clock.recompute(
        session, services.cfg, ticket, f"criticality {old} -> {name}", actor.email, utcnow()
    )


def set_category(
    session: Session, services: Services, ticket: Ticket, category: str, actor: User
) -> None:
    name = catalog.find_category(services.cfg, category)
    if name == ticket.category:
        return
    tickets.add_event(session, ticket, "category", actor=actor.email, old=ticket.category, new=name)
    ticket.category = name
    ticket.updated_at = utcnow()


def apply_sla(
    session: Session, services: Services, ticket: Ticket, level_name: str, actor: str
) -> None:
    """Record the SLA level and the due times of the ticket's criticality, from its opening."""
    level = sla.level_named(services.cfg, level_name) if level_name else None
    response, resolve = (
        sla.due_times(level, ticket.criticality, ticket.created_at) if level else (None, None)
    )
    new = f"{level_name}: response by {_iso(response)}, resolve by {_iso(resolve)}"
    old = (
        f"{ticket.sla_level}: response by {_iso(ticket.response_due_at)}, "
        f"resolve by {_iso(ticket.resolve_due_at)}"
    )
    if not level_name and not ticket.sla_level:
        return
    if new != old:
        tickets.add_event(
            session, ticket, "sla", actor=actor, old=old if ticket.sla_level else None, new=new
        )
    ticket.sla_level = level_name
    ticket.response_due_at, ticket.resolve_due_at = response, resolve
    clock.schedule(services.cfg, ticket)


def _iso(value: object) -> str:
    return value.isoformat(timespec="minutes") if hasattr(value, "isoformat") else "-"


def rate(
    session: Session, services: Services, ticket: Ticket, grade: int, comment: str, actor: User
) -> None:
    """Store a grade (an index into `[[ratings]]`) with the requester's comment."""
    labels = catalog.ratings(services.cfg)
    if not 0 <= grade < len(labels):
        raise InvalidValue("rating", str(grade), [str(i) for i in range(len(labels))])
    session.add(
        Rating(
            ticket_id=ticket.id,
            user_id=actor.id,
            grade=grade,
            label=labels[grade],
            comment=comment,
            at=utcnow(),
        )
    )
    # The latest grade, on the ticket too: the report groups by it (see Ticket.rating).
    ticket.rating = labels[grade]
    text = labels[grade] + (f": {comment}" if comment else "")
    tickets.add_event(session, ticket, "rating", actor=actor.email, new=text)
