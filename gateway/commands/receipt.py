"""The command receipt: what a mail's commands did, told to its sender."""

from __future__ import annotations

from gateway import desk
from gateway.outgoing import mailer
from gateway.outgoing.mailer import Outgoing
from gateway.pipeline.context import Context


def send_receipt(ctx: Context) -> None:
    """One receipt to the sender of a mail with commands (about a ticket or a digest)."""
    report, sender, ticket = ctx.report, ctx.sender, ctx.ticket
    if ctx.on_behalf is not None:
        sender = ctx.on_behalf.agent  # the caller is the ticket's sender; the agent wrote
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
                # A new mail with commands (`#for`): named by its subject.
                "new_mail": (ctx.mail.subject or "(no subject)") if ticket is None else "",
            },
            in_reply_to=ctx.mail.message_id or None,
        ),
    )
