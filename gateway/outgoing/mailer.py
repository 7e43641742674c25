"""Mail about a ticket: render, address, thread, rate-limit, and queue it in the outbox."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from gateway.outgoing import compose, outbox
from gateway.outgoing.tokens import make_token, reply_address
from gateway.services import Services
from gateway.store import rows, tickets
from gateway.store.model import AutoReplyLog, MessageRef, Ticket, User, utcnow

log = logging.getLogger(__name__)

# Mail the helpdesk can never deliver: RFC 2606 reserved names, or no domain at all.
_UNDELIVERABLE_SUFFIXES = (".invalid", ".example", ".test", ".localhost")


# Statement objects built once: their compiled forms are cached across messages.
_INSERT_REF = rows.table_insert(MessageRef)
_INSERT_AUTO_REPLY = rows.table_insert(AutoReplyLog)
_SENT_SINCE = (
    select(func.count())
    .select_from(AutoReplyLog)
    .where(AutoReplyLog.address == bindparam("address"), AutoReplyLog.at >= bindparam("since"))
)


@dataclass
class Outgoing:
    """One mail to send about a ticket."""

    event: str
    recipient: User
    context: dict[str, Any]
    automatic: bool = True
    cc: list[User] = field(default_factory=list)
    in_reply_to: str | None = None
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    # The ticket's Message-IDs, oldest first; looked up when not given.
    references: list[str] | None = None
    # Queued as "held": not sent until released (an answer that would be a second one).
    held: bool = False


def ticket_context(ticket: Ticket, services: Services) -> dict[str, Any]:
    """The `ticket` variable every template gets."""
    return {
        "id": ticket.id,
        "tag": services.tag(ticket.id),
        "subject": ticket.subject,
        "status": ticket.status,
        "criticality": ticket.criticality,
        "category": ticket.category,
        "created_at": ticket.created_at,
        "requester_name": ticket.requester.name,
        "requester_email": ticket.requester.email,
        "assignee_name": ticket.assignee.name if ticket.assignee else "",
        "assignee_email": ticket.assignee.email if ticket.assignee else "",
    }


def deliverable(email: str) -> bool:
    domain = email.rpartition("@")[2]
    return bool(domain) and "." in domain and not domain.endswith(_UNDELIVERABLE_SUFFIXES)


def auto_reply_allowed(session: Session, services: Services, user: User) -> bool:
    """Whether one more automatic mail may go to `user` today (loop safety, RFC 3834)."""
    if user.is_agent:
        return True
    since = utcnow() - dt.timedelta(days=1)
    sent = rows.scalar(session, _SENT_SINCE, {"address": user.email, "since": since})
    return (sent or 0) < services.cfg.loop.max_auto_replies_per_day


def references(session: Session, ticket: Ticket) -> list[str]:
    """The Message-IDs of the ticket's mail, oldest first (for References)."""
    return list(
        session.scalars(
            select(MessageRef.message_id)
            .where(MessageRef.ticket_id == ticket.id)
            .order_by(MessageRef.id)
        )
    )


def queue(
    session: Session, services: Services, ticket: Ticket | None, mail: Outgoing
) -> str | None:
    """Queue `mail` in the caller's transaction: its Message-ID (without brackets), or
    None when it must not or cannot be sent.

    Mail about a ticket carries its tag, a reply address signed for the recipient and
    the ticket's References; mail about no ticket (a `#my` list) replies to the plain
    intake address.
    """
    user = mail.recipient
    if not deliverable(user.email):
        return None
    if mail.automatic and not auto_reply_allowed(session, services, user):
        if ticket is not None:
            tickets.add_event(session, ticket, "auto_reply_suppressed", new=user.email)
        log.warning(
            "daily limit of automatic mail to %s reached; %s not sent", user.email, mail.event
        )
        return None
    cfg = services.cfg
    locale = user.locale or cfg.helpdesk.locale
    context = {
        "helpdesk": {"name": cfg.helpdesk.name, "address": cfg.helpdesk.address},
        "ticket": ticket_context(ticket, services) if ticket is not None else None,
        "recipient": {"name": user.name, "email": user.email, "is_agent": user.is_agent},
        **mail.context,
    }
    rendered = services.renderer.render(mail.event, locale, **context)
    ticket_id = ticket.id if ticket is not None else None
    message_id = compose.make_message_id(ticket_id, services.domain)
    if ticket is not None:
        token = make_token(services.secret, "r", ticket.id, user.id)
        reply_to = reply_address(cfg.helpdesk.address, token)
        refs = mail.references if mail.references is not None else references(session, ticket)
    else:
        reply_to, refs = cfg.helpdesk.address, []
    message = compose.build(
        from_name=cfg.helpdesk.name,
        from_addr=cfg.helpdesk.address,
        to=[(user.name, user.email)],
        cc=[(u.name, u.email) for u in mail.cc if deliverable(u.email)],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id,
        in_reply_to=mail.in_reply_to,
        references=refs,
        reply_to=reply_to,
        auto_submitted="auto-replied" if mail.automatic else None,
        headers={compose.LOOP_HEADER: cfg.helpdesk.address},
        attachments=mail.attachments,
    )
    outbox.insert(
        session,
        kind=mail.event,
        ticket_id=ticket_id,
        mail_from=cfg.helpdesk.address,
        rcpt_to=[user.email, *(u.email for u in mail.cc if deliverable(u.email))],
        message=message,
        automatic=mail.automatic,
        subject=rendered.subject,
        state="held" if mail.held else "queued",
    )
    # Core inserts: these rows are never read back in this transaction.
    if ticket is not None:
        rows.write(
            session,
            _INSERT_REF,
            {
                "message_id": message_id.strip("<>"),
                "ticket_id": ticket.id,
                "outgoing": True,
                "recipient_id": user.id,
                "created_at": utcnow(),
            },
        )
    if mail.automatic and not user.is_agent:
        rows.write(session, _INSERT_AUTO_REPLY, {"address": user.email, "at": utcnow()})
    return compose.bare_id(message_id)
