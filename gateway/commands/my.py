"""`#my` (or a mail to support+my@): the sender's own tickets with their indicators.

Filters after `#my`: `open`/`открытые`, `closed`/`закрытые`, a tag (`HD-12`) for one
ticket's detail, or words searched in the subjects (`#my принтер`).
"""

from __future__ import annotations

import re

from gateway.commands.parse import CommandLine
from gateway.outgoing import mailer
from gateway.pipeline.context import Context
from gateway.store import listing
from gateway.store.tickets import get_or_create_user
from gateway.store.views import TicketFilter

_OPEN = ("open", "opened", "открытые", "открыты", "активные")
_CLOSED = ("closed", "закрытые", "закрыты")
MAX_LISTED = 50


def requested(ctx: Context, commands: list[CommandLine]) -> bool:
    """A `#my` first line, or a mail to the `+my` address."""
    if commands and commands[0].name in ("my", "мои"):
        return True
    book = ctx.services.addresses
    return any((book.detail(a) or "").lower() == "my" for a in ctx.inbound.rcpt_to)


def _filter(ctx: Context, arg: str) -> tuple[TicketFilter, str]:
    f = TicketFilter(requester=ctx.mail.sender.email)
    arg = arg.strip()
    prefix = ctx.services.cfg.helpdesk.tag_prefix
    tag = re.fullmatch(rf"\[?\s*{re.escape(prefix)}\s*-\s*(\d+)\s*\]?", arg, re.IGNORECASE)
    if arg.lower() in _OPEN:
        f.open = True
    elif arg.lower() in _CLOSED:
        f.open = False
    elif tag is not None:
        f.id = int(tag.group(1))
    elif arg:
        f.title = arg
    return f, arg


def answer(ctx: Context, commands: list[CommandLine]) -> None:
    """Queue the list to the sender (an automatic reply, under the daily limit)."""
    sender_email = ctx.mail.sender.email
    if not sender_email:
        ctx.note("my: no sender address to answer")
        return
    arg = commands[0].arg if commands and commands[0].name in ("my", "мои") else ""
    f, shown = _filter(ctx, arg)
    session = ctx.session
    found = listing.tickets(session, f, MAX_LISTED + 1)
    prefix = ctx.services.cfg.helpdesk.tag_prefix
    rows = [
        {
            "tag": t.tag(prefix),
            "subject": t.subject,
            "status": t.status,
            "indicator": t.indicator,
            "updated_at": t.updated_at,
            "assignee_name": t.assignee.name if t.assignee else "",
        }
        for t in found[:MAX_LISTED]
    ]
    user = get_or_create_user(session, sender_email, ctx.mail.sender.name)
    mailer.queue(
        session,
        ctx.services,
        None,
        mailer.Outgoing(
            event="my_tickets",
            recipient=user,
            context={"tickets": rows, "filter": shown, "more": len(found) > MAX_LISTED},
            in_reply_to=ctx.mail.message_id or None,
        ),
    )
