"""Thread stage: find the ticket a mail belongs to, in the SPEC order.

1. a signed token in a recipient address (support+TOKEN@...),
2. In-Reply-To / References naming a Message-ID stored on a ticket,
   (for bounces: the Message-ID of our returned mail inside the report),
3. the subject tag [HD-123], accepted only from the requester, a participant or an agent,
otherwise a new ticket. The sender is looked up here too (registered later, by store).
"""

from __future__ import annotations

import re
from email.parser import BytesHeaderParser
from email.policy import compat32

from sqlalchemy import bindparam, func, select

from gateway.outgoing.tokens import parse_token
from gateway.pipeline.context import Context
from gateway.store import rows
from gateway.store.model import MessageRef, Participant, Ticket, User
from gateway.store.precompiled import Precompiled

# `+detail` forms with a meaning of their own (support+my@: "list my tickets").
RESERVED_DETAILS = frozenset({"my"})
_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc", "Envelope-To")


def _recipient_addresses(ctx: Context) -> list[str]:
    addrs = list(ctx.inbound.rcpt_to)
    for name in _RECIPIENT_HEADERS:
        for value in ctx.mail.header_all(name):
            addrs += re.findall(r"[^\s<>,;\"']+@[^\s<>,;\"']+", value)
    return addrs


def _by_token(ctx: Context) -> Ticket | None:
    book = ctx.services.addresses
    for address in _recipient_addresses(ctx):
        detail = book.detail(address)
        if not detail:
            continue
        days = ctx.services.cfg.security.token_days
        token = parse_token(ctx.services.secret, detail, max_days=days or None)
        if token is None:
            if detail.lower() not in RESERVED_DETAILS:
                ctx.note(f"thread: ignored an invalid or expired token in {address}")
            continue
        ticket = ctx.session.get(Ticket, token.ticket_id)
        if ticket is not None:
            ctx.token = token
            return ticket
    return None


# Precompiled (every reply asks: gateway.store.precompiled), a form per number of ids.
_BY_REFERENCE = Precompiled(
    select(MessageRef.ticket_id)
    .where(MessageRef.message_id.in_(bindparam("ids", expanding=True)))
    .order_by(MessageRef.id.desc())
    .limit(1)
)


def _by_reference(ctx: Context, ids: list[str]) -> Ticket | None:
    ids = [i for i in ids if i][-50:]
    if not ids:
        return None
    # The runner's stages do not autoflush: a plain read sees what the ORM's query did.
    ticket_id = rows.scalar(ctx.session, _BY_REFERENCE, {"ids": ids})
    return ctx.session.get(Ticket, ticket_id) if ticket_id is not None else None


def _returned_message_ids(ctx: Context) -> list[str]:
    """Message-IDs of the original mail enclosed in a bounce or report."""
    ids: list[str] = []
    for att in ctx.mail.attachments:
        if att.content_type in (
            "message/rfc822",
            "text/rfc822-headers",
            "message/rfc822-headers",
            "message/global",
        ):
            headers = BytesHeaderParser(policy=compat32).parsebytes(att.data[:65536])
            mid = str(headers.get("Message-ID", "")).strip().strip("<>")
            if mid:
                ids.append(mid)
    return ids


def _may_use_tag(ctx: Context, ticket: Ticket, sender: User | None) -> bool:
    if sender is None:
        return False
    if sender.is_agent or sender.id == ticket.requester_id:
        return True
    return (
        ctx.session.scalar(
            select(func.count())
            .select_from(Participant)
            .where(Participant.ticket_id == ticket.id, Participant.user_id == sender.id)
        )
        or 0
    ) > 0


def _by_tag(ctx: Context, sender: User | None) -> Ticket | None:
    prefix = re.escape(ctx.services.cfg.helpdesk.tag_prefix)
    match = re.search(rf"\[\s*{prefix}\s*-\s*(\d{{1,12}})\s*\]", ctx.mail.subject, re.IGNORECASE)
    if match is None:
        return None
    ticket = ctx.session.get(Ticket, int(match.group(1)))
    if ticket is None:
        ctx.note(f"thread: subject tag {match.group(0)} names no ticket")
        return None
    if not _may_use_tag(ctx, ticket, sender):
        # Anti-hijack: a copied tag does not let a stranger into someone else's ticket.
        ctx.note(f"thread: tag {match.group(0)} from a stranger; opening a new ticket")
        return None
    return ticket


def run(ctx: Context) -> None:
    mail = ctx.mail
    sender = ctx.user(mail.sender.email) if mail.sender.email else None
    ctx.sender = sender
    if ctx.ticket is not None:
        return  # the bounce stage matched the report to the mail it returns

    ticket = _by_token(ctx)
    how = "token"
    if ticket is None:
        ticket, how = _by_reference(ctx, [*mail.in_reply_to, *mail.references]), "reference"
    if ticket is None and ctx.automatic is not None:
        ticket, how = _by_reference(ctx, _returned_message_ids(ctx)), "bounce"
    if ticket is None:
        ticket, how = _by_tag(ctx, sender), "tag"
    if ticket is not None:
        ctx.ticket = ticket
        ctx.threaded_by = how
        ctx.note(f"thread: ticket {ticket.id} by {how}")
