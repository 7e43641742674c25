"""Receipts stage: the closing mail with rating links, and the agent's command receipt."""

from __future__ import annotations

from gateway import desk, mailer
from gateway.commands import rating
from gateway.mailer import Outgoing
from gateway.pipeline import Context


def _closing(ctx: Context) -> None:
    ticket = ctx.ticket
    assert ticket is not None
    message = ctx.message
    answer = message.body if message is not None and message.kind == "answer" else ""
    author = ctx.sender
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


def send_receipt(ctx: Context) -> None:
    """One receipt to the sender of a mail with commands (about a ticket or a digest)."""
    report, sender, ticket = ctx.report, ctx.sender, ctx.ticket
    if report is None or sender is None:
        return
    if report.applied and not desk.is_agent(ctx.session, ctx.services.cfg, sender.email):
        return  # a requester's #close is answered by the closing mail itself
    mailer.queue(
        ctx.session,
        ctx.services,
        ticket,
        Outgoing(
            event="receipt",
            recipient=sender,
            context={
                "outcomes": [
                    {"line": o.line, "ok": o.ok, "detail": o.detail, "fix": o.fix}
                    for o in report.outcomes
                ],
                "applied": report.applied,
                "refusal": ctx.report_refusal or "",
                "unauthenticated": ctx.unauthenticated is not None,
                "text": ctx.mail.body if not report.applied else "",
            },
            in_reply_to=ctx.mail.message_id or None,
        ),
    )


def run(ctx: Context) -> None:
    if ctx.closing and not ctx.quiet and ctx.ticket is not None:
        _closing(ctx)
    send_receipt(ctx)
