"""Mail about a ticket: who gets a copy, who is not mailed and why, the relay limit.

The copies themselves (rendered, signed, threaded, queued) are gateway.outgoing.copies'.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from gateway.outgoing import copies, relay, threads
from gateway.outgoing.copies import Outgoing as Outgoing
from gateway.outgoing.copies import bounce_address as bounce_address
from gateway.outgoing.copies import ticket_context as ticket_context
from gateway.services import Services
from gateway.store import fresh, rows, suspensions, tickets
from gateway.store.model import (
    AutoReplyLog,
    Suspension,
    Ticket,
    User,
    utcnow,
)
from gateway.store.precompiled import Precompiled

log = logging.getLogger(__name__)


_SENT_SINCE = Precompiled(
    select(func.count())
    .select_from(AutoReplyLog)
    .where(AutoReplyLog.address == bindparam("address"), AutoReplyLog.at >= bindparam("since"))
)


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
    `[outgoing] suppress_domains` and addresses suspended after bounces or complaints are
    skipped."""
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
        if held.cause == "complaint":
            return f"the address is suspended after its complaint ({held.status})"
        return f"the address is suspended after a bounce ({held.reason} {held.status})".strip()
    return None


def _suspension(session: Session, email: str) -> Suspension | suspensions.State | None:
    """The address's suspension: the session's own object when it has one (the bounce
    stage may have just changed it, unflushed), else a Core row from the database (read
    once per batch: gateway.store.suspensions)."""
    loaded = session.identity_map.get(session.identity_key(Suspension, email))
    if isinstance(loaded, Suspension):
        return loaded
    for obj in session.new:
        if isinstance(obj, Suspension) and obj.email == email:
            return obj
    return suspensions.state_of(session, email)


def auto_reply_allowed(session: Session, services: Services, user: User) -> bool:
    """Whether one more automatic mail may go to `user` today (loop safety, RFC 3834)."""
    if user.is_agent:
        return True
    sent = fresh.auto_replies(session, user.email)
    if sent is None:  # a user this message did not register: ask the database
        since = utcnow() - dt.timedelta(days=1)
        sent = rows.scalar(session, _SENT_SINCE, {"address": user.email, "since": since})
    return (sent or 0) < services.cfg.loop.max_auto_replies_per_day


# Kept here too: callers and tests name them as the mailer's.
references = threads.references
last_mail_of = threads.last_mail_of


def queue(
    session: Session, services: Services, ticket: Ticket | None, mail: Outgoing
) -> str | None:
    """Queue `mail` in the caller's transaction: its Message-ID (without brackets), or
    None when it did not go to its recipient (its `suppressed` row says why)."""
    done = queue_mail(session, services, ticket, mail)
    return None if done.recipient_suppressed else done.message_id


def _people(mail: Outgoing) -> list[User]:
    """Everyone the mail goes to, its recipient first, each once."""
    people: dict[int | str, User] = {}
    for person in [mail.recipient, *mail.cc]:
        people.setdefault(person.id if person.id is not None else person.email, person)
    return list(people.values())


def _stopped(
    session: Session, services: Services, ticket: Ticket | None, mail: Outgoing, people: list[User]
) -> dict[str, str]:
    """Who of `people` is not mailed, with the reason: suppression, or the daily limit of
    automatic mail (counted per person: one participant's full day stops only their copy)."""
    stopped: dict[str, str] = {}
    limit = services.cfg.loop.max_auto_replies_per_day
    for person in people:
        reason = suppression(session, services, person.email, mail.automatic)
        if reason is None and mail.automatic and not auto_reply_allowed(session, services, person):
            reason = f"the daily limit of {limit} automatic mails to {person.email}"
            if ticket is not None:
                tickets.add_event(session, ticket, "auto_reply_suppressed", new=person.email)
            log.warning(
                "daily limit of automatic mail to %s reached; %s not sent", person.email, mail.event
            )
        if reason is not None:
            stopped[person.email] = reason
    return stopped


def queue_mail(
    session: Session, services: Services, ticket: Ticket | None, mail: Outgoing
) -> Queued:
    """Queue `mail` in the caller's transaction, one copy per recipient; what was not sent
    is an outbox row in state `suppressed` with its reason, and a ticket event.

    Each copy has its own Message-ID and, about a ticket, its own reply address signed for
    its recipient, so that an answer to it is that person's and nobody else's: a
    participant in Cc who answered the requester's copy would otherwise write with the
    requester's authority (gateway.commands.auth). The copies show the same people in
    To/Cc (the copy's recipient in To), so everyone still sees who else was told. Mail
    about no ticket (a `#my` list) replies to the plain intake address.
    """
    people = _people(mail)
    stopped = _stopped(session, services, ticket, mail, people)
    held: str | None = None
    tell_staff = False
    if ticket is not None and not mail.never_held:
        # One decision for every copy: the limit counts received mails, not copies.
        held = relay.hold_reason(session, services, ticket)
        if held is not None:
            tell_staff = relay.first_hold(session, ticket)
            user = mail.recipient
            tickets.add_event(session, ticket, "relay_held", new=f"{mail.event} to {user.email}")
            log.warning("ticket %s: %s to %s %s", ticket.id, mail.event, user.email, held)
    plans = (
        threads.plan(session, ticket, people, mail.in_reply_to, mail.references)
        if ticket is not None
        else {}
    )
    shown = [p for p in people if p.email not in stopped]
    state = "held" if mail.held or mail.held_reason or held else "queued"
    first: str | None = None
    for person in people:
        plan = plans.get(person.id, threads.Threading(mail.in_reply_to, []))
        others = [p for p in shown if p is not person]
        message_id = copies.queue_copy(
            session,
            services,
            ticket,
            mail,
            copies.Copy(person, others, plan),
            state=state,
            reason=stopped.get(person.email) or mail.held_reason or held or "",
            stopped=person.email in stopped,
        )
        first = first or message_id
    if stopped:
        why = "; ".join(f"{r}: {reason}" for r, reason in stopped.items())
        log.warning("%s not sent to %s", mail.event, why)
        if ticket is not None:
            tickets.add_event(session, ticket, "mail_suppressed", new=why[:200])
    if tell_staff and ticket is not None:
        _tell_staff_held(session, services, ticket, mail)
    user = mail.recipient
    return Queued(first, stopped, user.email in stopped)


def _tell_staff_held(session: Session, services: Services, ticket: Ticket, mail: Outgoing) -> None:
    """Tell the assignee (or the admins), once an hour, that the relay limit holds mail."""
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
                        "to": mail.recipient.email,
                        "limit": services.cfg.loop.max_relayed_per_ticket_hour,
                    }
                },
                never_held=True,
            ),
        )


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
