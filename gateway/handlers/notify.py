"""Notify stage: the mail a stored message causes — confirmation, notices, the answer.

- a new ticket: a confirmation to the requester, a notice to every agent;
- a requester's (or participant's) later mail: a notice to the agents;
- an agent's reply: the answer, without the agent's quoted history, to the requester
  with the participants in Cc;
- automatic mail: nothing automatic goes back to its sender; a new ticket made from it is
  still announced to the agents so that nothing goes unseen.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gateway import mailer, tickets
from gateway.mailer import Outgoing
from gateway.model import Blob, Message, User
from gateway.pipeline import Context


def _files(
    ctx: Context, message: Message, include_inline: bool = True
) -> list[tuple[str, str, bytes]]:
    files = []
    for att in message.attachments:
        if att.inline and not include_inline:
            continue
        data = ctx.session.scalar(select(Blob.data).where(Blob.sha256 == att.sha256))
        if data is not None:
            files.append((att.filename, att.content_type, data))
    return files


def _message_context(message: Message, sender: User) -> dict[str, Any]:
    return {
        "message": {
            "body": message.body,
            "full_text": message.full_text,
            "subject": message.subject,
            "created_at": message.created_at,
            "author_name": sender.name,
            "author_email": sender.email,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                for a in message.attachments
            ],
            "automatic": message.kind == "auto",
        }
    }


def _notify_agents(ctx: Context, event: str, files: list[tuple[str, str, bytes]]) -> None:
    assert ctx.ticket is not None and ctx.message is not None and ctx.sender is not None
    context = _message_context(ctx.message, ctx.sender)
    context["automatic_reason"] = ctx.automatic or ""
    for agent in tickets.agents(ctx.session):
        if agent.id == ctx.sender.id:
            continue
        mailer.queue(
            ctx.session,
            ctx.services,
            ctx.ticket,
            Outgoing(event=event, recipient=agent, context=context, attachments=files),
        )


def run(ctx: Context) -> None:
    ticket, message, sender = ctx.ticket, ctx.message, ctx.sender
    assert ticket is not None and message is not None and sender is not None
    ctx.session.refresh(message, attribute_names=["attachments"])
    files = _files(ctx, message)
    incoming_id = ctx.mail.message_id or None
    if message.kind == "auto":
        if ctx.new_ticket:
            _notify_agents(ctx, "agent_new_ticket", files)
        return
    if ctx.new_ticket:
        row = mailer.queue(
            ctx.session,
            ctx.services,
            ticket,
            Outgoing(
                event="confirmation",
                recipient=ticket.requester,
                context=_message_context(message, sender),
                in_reply_to=incoming_id,
            ),
        )
        if row is None:
            ctx.note("notify: no confirmation sent (undeliverable address or daily limit)")
        _notify_agents(ctx, "agent_new_ticket", files)
    elif message.kind == "answer":
        mailer.queue(
            ctx.session,
            ctx.services,
            ticket,
            Outgoing(
                event="answer",
                recipient=ticket.requester,
                cc=tickets.participants(ctx.session, ticket),
                context={
                    **_message_context(message, sender),
                    "agent": {"name": sender.name, "email": sender.email},
                },
                automatic=False,
                attachments=_files(ctx, message, include_inline=False),
            ),
        )
    else:
        _notify_agents(ctx, "agent_requester_reply", files)
