"""Receipts stage: the closing mail with rating links, and the agent's command receipt."""

from __future__ import annotations

from gateway.commands import rating
from gateway.commands.receipt import send_receipt
from gateway.outgoing import mailer
from gateway.outgoing.mailer import Outgoing
from gateway.pipeline.context import Context
from gateway.similar import solved


def _closing(ctx: Context) -> None:
    ticket = ctx.ticket
    assert ticket is not None
    message = ctx.message
    answer = message.body if message is not None and message.kind == "answer" else ""
    author = ctx.sender
    if answer.strip():
        # A solved ticket: proposed to agents when a new ticket looks like it.
        solved.remember(ctx.session, ticket, answer)
    mailer.queue(
        ctx.session,
        ctx.services,
        ticket,
        Outgoing(
            event="closed",
            recipient=ticket.requester,
            automatic=not answer,
            context={
                "answer": answer,
                "agent": {
                    "name": author.name if author else "",
                    "email": author.email if author else "",
                },
                "ratings": rating.links(ctx.services, ticket, ticket.requester),
            },
            in_reply_to=ctx.mail.message_id or None,
        ),
    )


def run(ctx: Context) -> None:
    if ctx.closing and not ctx.quiet and ctx.ticket is not None:
        _closing(ctx)
    send_receipt(ctx)
