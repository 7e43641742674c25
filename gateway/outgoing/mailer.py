"""Mail about a ticket: render, address, thread, rate-limit, and queue it in the outbox."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, bindparam, func, or_, select
from sqlalchemy.orm import Session

from gateway.outgoing import compose, outbox, relay
from gateway.outgoing.tokens import make_token, reply_address
from gateway.services import Services
from gateway.store import fresh, rows, tickets
from gateway.store.model import (
    AutoReplyLog,
    Inbound,
    Message,
    MessageRef,
    Suspension,
    Ticket,
    User,
    utcnow,
)

log = logging.getLogger(__name__)


# Statement objects built once: their compiled forms are cached across messages.
_INSERT_AUTO_REPLY = rows.table_insert(AutoReplyLog)
_SENT_SINCE = (
    select(func.count())
    .select_from(AutoReplyLog)
    .where(AutoReplyLog.address == bindparam("address"), AutoReplyLog.at >= bindparam("since"))
)
# A Core query: the pipeline asks for every recipient, and needs no Suspension object.
_SUSPENDED = select(Suspension.suspended, Suspension.reason, Suspension.status).where(
    Suspension.email == bindparam("email")
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


@dataclass
class Queued:
    """What `queue_mail` did: the Message-ID (None when nothing was rendered) and the
    recipients the mail did not go to, with the reason (their `suppressed` row says it too)."""

    message_id: str | None
    suppressed: dict[str, str] = field(default_factory=dict)
    recipient_suppressed: bool = False


def suppression(
    session: Session, services: Services, email: str, automatic: bool = True
) -> str | None:
    """Why `email` is not mailed, or None. The helpdesk never guesses that an address is
    undeliverable (reserved test domains are real in many setups): only the admin's
    `[outgoing] suppress_domains` and addresses suspended after bounces are skipped."""
    domain = email.rpartition("@")[2].lower().rstrip(".")
    if not domain:
        return "the address has no domain"
    for listed in services.cfg.outgoing.suppress_domains:
        listed = listed.lower().strip(".")
        if domain == listed or domain.endswith("." + listed):
            return f"the domain {listed} is listed in [outgoing] suppress_domains"
    if not automatic:
        return None
    held = _suspension(session, email.lower())
    if held is not None and held.suspended:
        return f"the address is suspended after a bounce ({held.reason} {held.status})".strip()
    return None


def _suspension(session: Session, email: str) -> Suspension | Row[bool, str, str] | None:
    """The address's suspension: the session's own object when it has one (the bounce
    stage may have just changed it, unflushed), else a Core row from the database."""
    loaded = session.identity_map.get(session.identity_key(Suspension, email))
    if isinstance(loaded, Suspension):
        return loaded
    for obj in session.new:
        if isinstance(obj, Suspension) and obj.email == email:
            return obj
    return session.connection().execute(_SUSPENDED, {"email": email}).first()


def auto_reply_allowed(session: Session, services: Services, user: User) -> bool:
    """Whether one more automatic mail may go to `user` today (loop safety, RFC 3834)."""
    if user.is_agent:
        return True
    sent = fresh.auto_replies(session, user.email)
    if sent is None:  # a user this message did not register: ask the database
        since = utcnow() - dt.timedelta(days=1)
        sent = rows.scalar(session, _SENT_SINCE, {"address": user.email, "since": since})
    return (sent or 0) < services.cfg.loop.max_auto_replies_per_day


def references(session: Session, ticket: Ticket, public_only: bool = False) -> list[str]:
    """The Message-IDs of the ticket's mail, oldest first (for References); with
    `public_only`, only those its requester has seen (no hidden note, no agents' mail)."""
    known = fresh.refs_of(session, ticket.id)
    if known is not None:  # a ticket the message in hand opened: all its ids are here
        return [r.message_id for r in known if not (public_only and r.private)]
    stmt = select(MessageRef.message_id).where(MessageRef.ticket_id == ticket.id)
    if public_only:
        stmt = stmt.where(MessageRef.private.is_(False))
    return list(session.scalars(stmt.order_by(MessageRef.id)))


def last_mail_of(session: Session, ticket: Ticket, user: User) -> str | None:
    """The Message-ID of `user`'s latest mail on the ticket (what an answer replies to)."""
    if fresh.refs_of(session, ticket.id) is not None:
        # A ticket the message in hand opened: its only mail is that message, whose
        # Message-ID the runner writes to the spool row when it is done.
        return None
    return session.scalar(
        select(Inbound.message_id)
        .join(Message, Message.inbound_id == Inbound.id)
        .where(
            Message.ticket_id == ticket.id,
            Message.author_id == user.id,
            Inbound.message_id.is_not(None),
        )
        .order_by(Message.id.desc())
        .limit(1)
    )


def _visible_refs(session: Session, ticket: Ticket, user: User) -> list[str]:
    """The ticket's Message-IDs `user` may be shown, oldest first, in one query.

    Never the desk's mail to anyone else: the id of a mail sent to an agent proves, when
    answered, that the agent wrote the answer (gateway.commands.auth), so shown to someone
    else it would let them act as that agent. To a requester (and the participants in Cc)
    also no private id: hidden notes and agents' own mail.
    """
    known = fresh.refs_of(session, ticket.id)
    if known is not None:  # a ticket the message in hand opened: all its ids are here
        return [
            r.message_id
            for r in known
            if (not r.outgoing or r.recipient_id == user.id) and (user.is_agent or not r.private)
        ]
    stmt = select(MessageRef.message_id).where(
        MessageRef.ticket_id == ticket.id,
        or_(MessageRef.outgoing.is_(False), MessageRef.recipient_id == user.id),
    )
    if not user.is_agent:
        stmt = stmt.where(MessageRef.private.is_(False))
    return list(session.scalars(stmt.order_by(MessageRef.id)))


def _threading(
    session: Session, ticket: Ticket, user: User, mail: Outgoing
) -> tuple[str | None, list[str]]:
    """In-Reply-To and References for `mail` to `user`: only ids `user` may see
    (`_visible_refs`); an answer to a requester replies to their own latest mail, so their
    client threads it under what they wrote."""
    visible = _visible_refs(session, ticket, user)
    allowed = {compose.bare_id(r) for r in visible}
    given = mail.references
    refs = visible if given is None else [r for r in given if compose.bare_id(r) in allowed]
    if user.is_agent:
        return mail.in_reply_to, refs
    known = mail.in_reply_to is not None and compose.bare_id(mail.in_reply_to) in allowed
    in_reply_to = mail.in_reply_to if known else None
    if in_reply_to is None:
        in_reply_to = last_mail_of(session, ticket, user)
    return in_reply_to, refs


def _auto_submitted(mail: Outgoing, user: User) -> str | None:
    if not mail.automatic:
        return None
    # A notice to an agent answers nothing they wrote (RFC 3834 section 5).
    return "auto-generated" if user.is_agent else "auto-replied"


def queue(
    session: Session, services: Services, ticket: Ticket | None, mail: Outgoing
) -> str | None:
    """Queue `mail` in the caller's transaction: its Message-ID (without brackets), or
    None when it did not go to its recipient (its `suppressed` row says why)."""
    done = queue_mail(session, services, ticket, mail)
    return None if done.recipient_suppressed else done.message_id


def queue_mail(
    session: Session, services: Services, ticket: Ticket | None, mail: Outgoing
) -> Queued:
    """Queue `mail` in the caller's transaction; what was not sent is an outbox row in
    state `suppressed` with its reason, and a ticket event.

    Mail about a ticket carries its tag, a reply address signed for the recipient and
    the ticket's References; mail about no ticket (a `#my` list) replies to the plain
    intake address.
    """
    user = mail.recipient
    stopped: dict[str, str] = {}
    for person in [user, *mail.cc]:
        reason = suppression(session, services, person.email, mail.automatic)
        if reason is not None:
            stopped[person.email] = reason
    limited = mail.automatic and not auto_reply_allowed(session, services, user)
    if limited:
        if ticket is not None:
            tickets.add_event(session, ticket, "auto_reply_suppressed", new=user.email)
        log.warning(
            "daily limit of automatic mail to %s reached; %s not sent", user.email, mail.event
        )
        limit = services.cfg.loop.max_auto_replies_per_day
        for person in [user, *mail.cc]:
            stopped.setdefault(
                person.email, f"the daily limit of {limit} automatic mails to {user.email}"
            )
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
        in_reply_to, refs = _threading(session, ticket, user, mail)
    else:
        reply_to, in_reply_to, refs = cfg.helpdesk.address, mail.in_reply_to, []
    message = compose.build(
        from_name=cfg.helpdesk.name,
        from_addr=cfg.helpdesk.address,
        to=[(user.name, user.email)],
        cc=[(u.name, u.email) for u in mail.cc if u.email not in stopped],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=refs,
        reply_to=reply_to,
        auto_submitted=_auto_submitted(mail, user),
        # Clients file "Precedence: bulk" as list mail: an agent's notices must stand out.
        precedence=None if user.is_agent else "bulk",
        headers={compose.LOOP_HEADER: cfg.helpdesk.address},
        attachments=mail.attachments,
    )
    held: str | None = None
    tell_staff = False
    if ticket is not None and not mail.never_held:
        held = relay.hold_reason(session, services, ticket)
        if held is not None:
            tell_staff = relay.first_hold(session, ticket)
            tickets.add_event(session, ticket, "relay_held", new=f"{mail.event} to {user.email}")
            log.warning("ticket %s: %s to %s %s", ticket.id, mail.event, user.email, held)
    everyone = [user.email, *(u.email for u in mail.cc)]
    sendable = [r for r in everyone if r not in stopped]
    common: dict[str, Any] = {
        "kind": mail.event,
        "ticket_id": ticket_id,
        "mail_from": bounce_address(cfg.helpdesk.address, message_id),
        "message": message,
        "automatic": mail.automatic,
        "subject": rendered.subject,
    }
    if sendable:
        outbox.insert(
            session,
            rcpt_to=sendable,
            state="held" if mail.held or mail.held_reason or held else "queued",
            reason=mail.held_reason or held or "",
            **common,
        )
    if stopped:
        why = "; ".join(f"{r}: {reason}" for r, reason in stopped.items())
        outbox.insert(session, rcpt_to=list(stopped), state="suppressed", reason=why, **common)
        log.warning("%s not sent to %s", mail.event, why)
        if ticket is not None:
            tickets.add_event(session, ticket, "mail_suppressed", new=why[:200])
    if tell_staff and ticket is not None:
        for person in relay.staff_to_tell(session, ticket):
            queue(
                session,
                services,
                ticket,
                Outgoing(
                    event=relay.HELD_EVENT,
                    recipient=person,
                    context={
                        "held": {
                            "event": mail.event,
                            "to": user.email,
                            "limit": cfg.loop.max_relayed_per_ticket_hour,
                        }
                    },
                    never_held=True,
                ),
            )
    # Core inserts: these rows are never read back in this transaction.
    if ticket is not None:
        fresh.write_ref(
            session,
            message_id=message_id.strip("<>"),
            ticket_id=ticket.id,
            outgoing=True,
            recipient_id=user.id,
            private=user.is_agent,
        )
    if mail.automatic and not user.is_agent and user.email not in stopped:
        rows.write(session, _INSERT_AUTO_REPLY, {"address": user.email, "at": utcnow()})
        fresh.note_auto_reply(session, user.email)
    return Queued(compose.bare_id(message_id), stopped, user.email in stopped)


def bounce_address(address: str, message_id: str) -> str:
    """The envelope sender (VERP): `support+bounce-<id>@domain`, where <id> is the local part
    of the mail's Message-ID, so a bounce that quotes nothing still names the mail."""
    local = compose.bare_id(message_id).partition("@")[0]
    return reply_address(address, "bounce-" + local)


def tell_author(
    session: Session,
    services: Services,
    ticket: Ticket,
    author: User,
    subject: str,
    failures: dict[str, str],
    *,
    bounced: bool,
) -> None:
    """Tell an agent that their mail about `ticket` did not reach `failures` (address ->
    reason): never sent (suppressed), or bounced back."""
    if not failures:
        return
    queue_mail(
        session,
        services,
        ticket,
        Outgoing(
            event="not_sent",
            recipient=author,
            automatic=False,
            context={
                "failures": [{"recipient": r, "reason": why} for r, why in failures.items()],
                "bounced": bounced,
                "subject": subject,
            },
        ),
    )
