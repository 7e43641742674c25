"""Mail about no one ticket to a list of people from one template: digests, escalations,
reports. One place renders it in each recipient's language, composes it (automatic,
`Auto-Submitted: auto-generated`, replies to the plain intake address) and queues it in the
outbox in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from gateway.outgoing import compose, outbox
from gateway.outgoing.mailer import bounce_address, suppression
from gateway.services import Services
from gateway.store.model import User, utcnow

log = logging.getLogger(__name__)


@dataclass
class Bulk:
    """What to send: template `event`, a context shared by all and one per recipient."""

    event: str
    context: Mapping[str, Any] = field(default_factory=dict)
    per_recipient: Callable[[User], Mapping[str, Any]] | None = None
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    # (filename, content type, data, content-id) parts the HTML shows as cid:content-id.
    inline: list[tuple[str, str, bytes, str]] = field(default_factory=list)
    in_reply_to: str | None = None
    # Message-IDs `<PREFIX STAMP.HEX@domain>`, so that replies to this mail can be told.
    mid_prefix: str = "hd.0."


@dataclass
class Queued:
    recipient: User
    message_id: str


def queue_to(
    session: Session,
    services: Services,
    recipients: Iterable[User],
    mail: Bulk,
    now: dt.datetime | None = None,
) -> list[Queued]:
    """Queue one mail per recipient (each address once). A recipient the admin suppressed
    (or a bounce suspended) gets an outbox row in state `suppressed` with the reason
    instead. The queued mails, in order."""
    now = now or utcnow()
    cfg = services.cfg
    queued: list[Queued] = []
    seen: set[str] = set()
    for user in recipients:
        if user.email.lower() in seen:
            continue
        seen.add(user.email.lower())
        stopped = suppression(session, services, user.email, automatic=True)
        context = {
            "helpdesk": {"name": cfg.helpdesk.name, "address": cfg.helpdesk.address},
            "recipient": {"name": user.name, "email": user.email, "is_agent": user.is_agent},
            **mail.context,
            **(mail.per_recipient(user) if mail.per_recipient is not None else {}),
        }
        rendered = services.renderer.render(
            mail.event, user.locale or cfg.helpdesk.locale, **context
        )
        message_id = (
            f"<{mail.mid_prefix}{now:%Y%m%dT%H%M%S}.{secrets.token_hex(8)}@{services.domain}>"
        )
        message = compose.build(
            from_name=cfg.helpdesk.name,
            from_addr=cfg.helpdesk.address,
            to=[(user.name, user.email)],
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=message_id,
            in_reply_to=mail.in_reply_to,
            reply_to=cfg.helpdesk.address,
            auto_submitted="auto-generated",
            headers={compose.LOOP_HEADER: cfg.helpdesk.address},
            attachments=mail.attachments,
            inline=mail.inline,
        )
        if stopped is not None:
            outbox.insert(
                session,
                kind=mail.event,
                ticket_id=None,
                mail_from=cfg.helpdesk.address,
                rcpt_to=[user.email],
                message=message,
                automatic=True,
                subject=rendered.subject,
                state="suppressed",
                reason=stopped,
            )
            log.warning("%s to %s not sent: %s", mail.event, user.email, stopped)
            continue
        outbox.enqueue(
            session,
            kind=mail.event,
            ticket_id=None,
            mail_from=bounce_address(cfg.helpdesk.address, message_id),
            rcpt_to=[user.email],
            message=message,
            automatic=True,
            subject=rendered.subject,
        )
        queued.append(Queued(user, compose.bare_id(message_id)))
    return queued
