"""Who may steer a ticket: a From header is trivial to forge, so it is never enough.

A mail authenticates its sender for a ticket when it came to a reply address signed for
that sender and ticket, or answers (In-Reply-To/References) a mail the helpdesk sent that
sender about that ticket (ids of mail to agents never appear in mail to anyone else,
gateway.outgoing.mailer); on a closed ticket only a mail sent since the closing counts,
so a reply address replayed later acts no more; where a trusted receiving server is configured, its
Authentication-Results must also show DKIM or SPF pass aligned with the From domain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from gateway.parse import authres
from gateway.pipeline.context import Context
from gateway.store.model import MessageRef, Ticket, User


@dataclass(frozen=True)
class AuthResult:
    ok: bool
    # How the sender was recognised, or why not (for the trace and the receipt).
    reason: str


def _answers_our_mail(
    ctx: Context, user: User, ticket: Ticket, since: dt.datetime | None = None
) -> bool:
    ids = [i for i in (*ctx.mail.in_reply_to, *ctx.mail.references) if i][-50:]
    if not ids:
        return False
    query = select(MessageRef.id).where(
        MessageRef.message_id.in_(ids),
        MessageRef.outgoing.is_(True),
        MessageRef.recipient_id == user.id,
        MessageRef.ticket_id == ticket.id,
    )
    if since is not None:
        query = query.where(MessageRef.created_at >= since)
    return ctx.session.scalar(query.limit(1)) is not None


def authenticate(ctx: Context, user: User, ticket: Ticket) -> AuthResult:
    """Whether this mail proves it comes from `user` for `ticket`."""
    token = ctx.token
    if ticket.closed and ticket.resolved_at is not None:
        # A reply address or an old notice replayed after closing must not act: on a
        # closed ticket only an answer to a mail sent since the closing counts.
        if _answers_our_mail(ctx, user, ticket, since=ticket.resolved_at):
            how = "a reply to a mail the helpdesk sent you since the ticket was closed"
        else:
            return AuthResult(
                False,
                "the ticket was closed after the mail you answered; answer a mail the "
                "helpdesk sent you since (such as the receipt of #close)",
            )
    elif (
        token is not None
        and token.kind == "r"
        and (token.user_id, token.ticket_id)
        == (
            user.id,
            ticket.id,
        )
    ):
        how = "a reply address signed for you"
    elif _answers_our_mail(ctx, user, ticket):
        how = "a reply to a mail the helpdesk sent you"
    else:
        return AuthResult(
            False,
            "the mail came neither to a reply address signed for you nor in reply to a "
            "mail the helpdesk sent you about this ticket",
        )
    authserv = ctx.services.cfg.security.trusted_authserv_id
    if authserv:
        domain = user.email.rpartition("@")[2]
        verdict = authres.aligned_pass(
            ctx.mail.header_all("Authentication-Results"), authserv, domain
        )
        if verdict is None:
            return AuthResult(
                False,
                f"{authserv} did not record a DKIM or SPF pass for {domain} on this mail",
            )
        how += f", {verdict.upper()} pass"
    return AuthResult(True, how)
