"""Mail that is never held as spam, whatever its score.

Looked at only for mail that scores as suspect or spam, so the queries here cost nothing
on ordinary mail.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from gateway.outgoing.tokens import parse_token
from gateway.parse import authres
from gateway.pipeline.context import Context
from gateway.store.model import MessageRef, Ticket, User

SPAM_STATUS = "spam"  # the status of a ticket closed by `#spam`
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")
_OUR_MID = re.compile(rb"hd\.\d+\.\d{8}T\d{6}\.[0-9a-f]+@[^>\s]+")


def exemption(ctx: Context) -> str | None:
    """Why this mail may not be held, or None."""
    sender = ctx.mail.sender.email.lower()
    if sender:
        reason = _known_sender(ctx, sender)
        if reason is not None:
            return reason
        reason = _trusted_domain(ctx, sender)
        if reason is not None:
            return reason
    if _signed_reply(ctx):
        return "sent to a signed reply address"
    if _mentions_our_mail(ctx):
        return "answers or returns mail the helpdesk sent"
    return None


def _known_sender(ctx: Context, sender: str) -> str | None:
    user = ctx.session.scalar(select(User).where(User.email == sender))
    if user is None:
        return None
    if user.is_agent:
        return "from an agent"
    earlier = ctx.session.scalar(
        select(Ticket.id)
        .where(Ticket.requester_id == user.id, Ticket.status != SPAM_STATUS)
        .limit(1)
    )
    return "from a requester with earlier tickets" if earlier is not None else None


def _trusted_domain(ctx: Context, sender: str) -> str | None:
    """An internal domain's mail, if the trusted receiving server recorded SPF or DKIM pass.

    Only `[security] trusted_authserv_id`'s verdict counts: without a named server, an
    Authentication-Results header may be the sender's own forgery (an MTA that adds none
    passes forged ones through), and "internal" mail is exactly what spammers fake.
    """
    authserv = ctx.services.cfg.security.trusted_authserv_id
    if not authserv:
        return None
    domain = sender.rpartition("@")[2]
    trusted = [d.lower() for d in ctx.services.cfg.spam.trusted_domains]
    if not any(domain == d or domain.endswith("." + d) for d in trusted):
        return None
    headers = ctx.mail.header_all("Authentication-Results")
    if not headers:
        return None
    verdict = authres.aligned_pass(headers, authserv, domain)
    if verdict is None:
        return None
    return f"from the trusted domain {domain} ({verdict.upper()} pass)"


def _signed_reply(ctx: Context) -> bool:
    book = ctx.services.addresses
    addresses = list(ctx.inbound.rcpt_to)
    for name in _RECIPIENT_HEADERS:
        for value in ctx.mail.header_all(name):
            addresses += re.findall(r"[^\s<>,;\"']+@[^\s<>,;\"']+", value)
    days = ctx.services.cfg.security.token_days or None
    for address in addresses:
        detail = book.detail(address)
        if detail and parse_token(ctx.services.secret, detail, max_days=days) is not None:
            return True
    return False


def _mentions_our_mail(ctx: Context) -> bool:
    """In-Reply-To/References, or a bounce's returned headers, name mail we sent."""
    ids = [i for i in (*ctx.mail.in_reply_to, *ctx.mail.references) if i]
    ids += [m.decode("ascii", "replace") for m in _OUR_MID.findall(ctx.inbound.raw[:200_000])]
    ids = [i.strip("<>") for i in ids][-50:]
    if not ids:
        return False
    found = ctx.session.scalar(
        select(MessageRef.id)
        .where(MessageRef.message_id.in_(ids), MessageRef.outgoing.is_(True))
        .limit(1)
    )
    return found is not None
