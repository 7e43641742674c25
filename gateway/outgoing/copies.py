"""One recipient's copy of a mail about a ticket: rendered, built and queued.

Every recipient of a mail gets a copy of their own (gateway.outgoing.mailer decides who):
its own Message-ID, its own reply address signed for that recipient, its own threading
headers and its own outbox row, so that an answer to it speaks for that person only and a
bounce of it names the one address it failed for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from gateway.outgoing import compose, outbox, threads
from gateway.outgoing.tokens import make_token, reply_address
from gateway.services import Services
from gateway.store import fresh, rows
from gateway.store.model import AutoReplyLog, Ticket, User, utcnow

# Statement objects built once: their compiled forms are cached across messages.
_INSERT_AUTO_REPLY = rows.table_insert(AutoReplyLog)


@dataclass
class Outgoing:
    """One mail to send about a ticket."""

    event: str
    recipient: User
    context: dict[str, Any]
    automatic: bool = True
    # The participants: each gets a copy of their own (shown in every copy's Cc).
    cc: list[User] = field(default_factory=list)
    in_reply_to: str | None = None
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    # The ticket's Message-IDs, oldest first; looked up when not given.
    references: list[str] | None = None
    # Exempt from the relay limit (gateway.outgoing.relay): the notice that it was reached.
    never_held: bool = False
    # Queued as "held": not sent until released (an answer that would be a second one).
    held: bool = False
    # Why it is held, kept with the row (an answer that would disclose a hidden note).
    held_reason: str = ""


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


def _auto_submitted(mail: Outgoing, user: User) -> str | None:
    if not mail.automatic:
        return None
    # A notice to an agent answers nothing they wrote (RFC 3834 section 5).
    return "auto-generated" if user.is_agent else "auto-replied"


@dataclass
class Copy:
    """What one recipient's copy needs beside the mail itself."""

    person: User
    others: list[User]
    threading: threads.Threading


def queue_copy(
    session: Session,
    services: Services,
    ticket: Ticket | None,
    mail: Outgoing,
    copy: Copy,
    *,
    state: str,
    reason: str,
    stopped: bool,
) -> str:
    """Render, build and queue one recipient's copy; its Message-ID (without brackets)."""
    user, cfg = copy.person, services.cfg
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
        reply_to = reply_address(
            cfg.helpdesk.address, make_token(services.secret, "r", ticket.id, user.id)
        )
    else:
        reply_to = cfg.helpdesk.address
    message = compose.build(
        from_name=cfg.helpdesk.name,
        from_addr=cfg.helpdesk.address,
        to=[(user.name, user.email)],
        cc=[(u.name, u.email) for u in copy.others],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id,
        in_reply_to=copy.threading.in_reply_to,
        references=copy.threading.references,
        reply_to=reply_to,
        auto_submitted=_auto_submitted(mail, user),
        # Clients file "Precedence: bulk" as list mail: an agent's notices must stand out.
        precedence=None if user.is_agent else "bulk",
        headers={compose.LOOP_HEADER: cfg.helpdesk.address},
        attachments=mail.attachments,
    )
    outbox.insert(
        session,
        kind=mail.event,
        ticket_id=ticket_id,
        # VERP per copy: a bounce names the copy, hence the one recipient it failed for.
        mail_from=bounce_address(cfg.helpdesk.address, message_id),
        rcpt_to=[user.email],
        message=message,
        automatic=mail.automatic,
        subject=rendered.subject,
        state="suppressed" if stopped else state,
        reason=reason,
    )
    # Core inserts: these rows are never read back in this transaction.
    if ticket is not None and not stopped:
        fresh.write_ref(
            session,
            message_id=message_id.strip("<>"),
            ticket_id=ticket.id,
            outgoing=True,
            recipient_id=user.id,
            private=user.is_agent,
        )
    if mail.automatic and not user.is_agent and not stopped:
        rows.write(session, _INSERT_AUTO_REPLY, {"address": user.email, "at": utcnow()})
        fresh.note_auto_reply(session, user.email)
    return compose.bare_id(message_id)


def bounce_address(address: str, message_id: str) -> str:
    """The envelope sender (VERP): `support+bounce-<id>@domain`, where <id> is the local part
    of the mail's Message-ID, so a bounce that quotes nothing still names the mail."""
    local = compose.bare_id(message_id).partition("@")[0]
    return reply_address(address, "bounce-" + local)
