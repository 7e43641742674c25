"""Who hears of what, and the mail for it: every notification is a template and each kind
can be switched off in `[notifications]`.

Staff notices go to the ticket's assignee, or to every admin while nobody is assigned.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gateway.desk import catalog, roles
from gateway.outgoing import mailer
from gateway.outgoing.mailer import Outgoing
from gateway.services import Services
from gateway.store.model import Ticket, User


def enabled(services: Services, kind: str) -> bool:
    return bool(getattr(services.cfg.notifications, kind, True))


def staff_for(
    session: Session, services: Services, ticket: Ticket, exclude: User | None = None
) -> list[User]:
    """The assignee, else every admin; never `exclude` (who caused the notice)."""
    if ticket.assignee is not None:
        people = [ticket.assignee]
    else:
        people = roles.admins(session, services.cfg)
    return [u for u in people if exclude is None or u.id != exclude.id]


def person(user: User | None) -> dict[str, str]:
    return {"name": user.name if user else "", "email": user.email if user else ""}


def desk_context(session: Session, services: Services, ticket: Ticket) -> dict[str, Any]:
    """The `desk` variable of the service-desk templates: labels, SLA, the linked ticket."""
    cfg = services.cfg
    status = catalog.status_def(cfg, ticket.status)
    linked = session.get(Ticket, ticket.linked_ticket_id) if ticket.linked_ticket_id else None
    return {
        "status_ru": status.label_ru if status else ticket.status,
        "status_en": status.label_en if status else ticket.status,
        "sla_level": ticket.sla_level,
        "response_due_at": ticket.response_due_at,
        "resolve_due_at": ticket.resolve_due_at,
        "linked_tag": services.tag(linked.id) if linked is not None else "",
        "linked_subject": linked.subject if linked is not None else "",
    }


def send(
    session: Session,
    services: Services,
    ticket: Ticket | None,
    kind: str,
    recipient: User,
    context: dict[str, Any],
    *,
    event: str | None = None,
    references: list[str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> str | None:
    """Queue notification `kind` (template `event`, by default the same name) when it is on;
    the queued mail's Message-ID, or None (switched off, or not to be sent)."""
    if not enabled(services, kind):
        return None
    if ticket is not None:
        context = {"desk": desk_context(session, services, ticket), **context}
    return mailer.queue(
        session,
        services,
        ticket,
        Outgoing(
            event=event or kind,
            recipient=recipient,
            context=context,
            references=references,
            attachments=attachments or [],
        ),
    )
