"""Notify stage: the mail a stored message causes — confirmation, notices, the answer.

- a new ticket: a confirmation to the requester, a notice to its assignee (with nobody
  assigned, to every admin);
- a requester's (or participant's) later mail: a notice to the assignee (or the admins);
  one that reopened a closed ticket says so; a thanks on a closed ticket is only stored;
- an agent's hidden note: the assignee (or the admins) hear of it, never the requester;
- a mail that answers someone else's copy (unauthenticated, hidden): the assignee (or
  the admins) hear of it, marked so; it reaches no requester or participant;
- an agent's reply: the answer, without the agent's quoted history, to the requester
  and to each participant, one copy each (gateway.outgoing.copies); one that would
  disclose a hidden note is held and the agent told (gateway.disclosure);
- automatic mail: nothing automatic goes back to its sender; a new ticket made from it is
  still announced so that nothing goes unseen.
Each kind can be switched off in `[notifications]` (gateway.desk.notices).
"""

from __future__ import annotations

from typing import Any

from gateway import disclosure
from gateway.desk import double, notices, roles
from gateway.outgoing import mailer
from gateway.outgoing.mailer import Outgoing
from gateway.pipeline import agents
from gateway.pipeline.context import Context
from gateway.pipeline.stages.store import REOPENED
from gateway.spam.learning import suspect_score
from gateway.store import tickets
from gateway.store.model import Message, User

File = tuple[str, str, bytes]


def _files(ctx: Context, include_inline: bool = True) -> list[File]:
    return [
        (a.filename, a.content_type, a.data)
        for a in ctx.attachments
        if include_inline or not a.inline
    ]


def _message_context(ctx: Context, message: Message, sender: User) -> dict[str, Any]:
    return {
        "message": {
            "body": message.body,
            "full_text": message.full_text,
            "subject": message.subject,
            "created_at": message.created_at,
            "author_name": sender.name,
            "author_email": sender.email,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": len(a.data)}
                for a in ctx.attachments
            ],
            "automatic": message.kind == "auto",
        }
    }


def _notify_staff(
    ctx: Context, kind: str, event: str, refs: list[str], every_agent: bool = False
) -> None:
    """Tell the assignee (or the admins) — or, for a hidden note, every other agent."""
    assert ctx.ticket is not None and ctx.message is not None and ctx.sender is not None
    context = _message_context(ctx, ctx.message, ctx.sender)
    context["automatic_reason"] = ctx.automatic or ""
    context["spam_suspect"] = suspect_score(ctx.inbound)
    context["proposed_cc"] = ctx.proposed_cc[:20]
    context["proposed_more"] = max(0, len(ctx.proposed_cc) - 20)
    context["unauthenticated"] = ctx.unauthenticated or ""
    if kind in ("new_ticket", "requester_reply", "reopened"):
        context["card"] = agents.card_context(ctx)
    if kind == "new_ticket":
        context["suggestions"] = agents.suggestions(ctx)
    files = _files(ctx)
    if every_agent:
        people = [u for u in roles.staff(ctx.session, ctx.services.cfg) if u.id != ctx.sender.id]
    else:
        people = notices.staff_for(ctx.session, ctx.services, ctx.ticket, exclude=ctx.sender)
    for person in people:
        notices.send(
            ctx.session,
            ctx.services,
            ctx.ticket,
            kind,
            person,
            context,
            event=event,
            references=refs,
            attachments=files,
        )


def held_reason(ctx: Context, answer: str) -> str:
    """Why the answer must not go out as it is (gateway.disclosure); "" when it may."""
    assert ctx.ticket is not None
    exclude = ctx.message.id if ctx.message is not None else None
    reason = disclosure.find_leak(ctx.session, ctx.ticket, answer, ctx.mail.text, exclude)
    if reason:
        ctx.note(f"notify: answer held: {reason}")
    return reason


def tell_held(ctx: Context, reason: str, answer: str) -> None:
    assert ctx.ticket is not None and ctx.sender is not None
    disclosure.tell_agent(
        ctx.session,
        ctx.services,
        ctx.ticket,
        ctx.sender,
        reason,
        answer,
        ctx.mail.message_id or None,
    )


def _answer(ctx: Context, refs: list[str]) -> None:
    ticket, message, sender = ctx.ticket, ctx.message, ctx.sender
    assert ticket is not None and message is not None and sender is not None
    held = held_reason(ctx, message.body)
    other = double.other_answer(
        ctx.session, ticket, sender, [*ctx.mail.in_reply_to, *ctx.mail.references], message
    )
    done = mailer.queue_mail(
        ctx.session,
        ctx.services,
        ticket,
        Outgoing(
            event="answer",
            recipient=ticket.requester,
            cc=tickets.participants(ctx.session, ticket),
            context={
                **_message_context(ctx, message, sender),
                "agent": {"name": sender.name, "email": sender.email},
            },
            automatic=False,
            attachments=_files(ctx, include_inline=False),
            references=refs,
            held=other is not None,
            held_reason=held,
        ),
    )
    queued = None if done.recipient_suppressed else done.message_id
    if held and queued is not None:
        double.record_hold(ctx.session, ticket, sender, queued)
        tell_held(ctx, held, message.body)
    elif other is not None and queued is not None:
        _held(ctx, other, queued)
    if done.suppressed:
        ctx.note("notify: the answer was not sent to " + ", ".join(done.suppressed))
        subject = message.subject or ticket.subject
        mailer.tell_author(
            ctx.session, ctx.services, ticket, sender, subject, done.suppressed, bounced=False
        )


def _held(ctx: Context, other: Message, queued: str) -> None:
    """Tell the agent whose answer was held what the other agent wrote, and how to send."""
    ticket, sender = ctx.ticket, ctx.sender
    assert ticket is not None and sender is not None
    row_id = double.record_hold(ctx.session, ticket, sender, queued)
    author = ctx.session.get(User, other.author_id) if other.author_id else None
    ctx.note(f"notify: answer held (outbox {row_id}): {author.email if author else '?'} answered")
    mailer.queue(
        ctx.session,
        ctx.services,
        ticket,
        Outgoing(
            event=double.HELD,
            recipient=sender,
            context={
                "outbox_id": row_id,
                "other": {
                    "name": author.name if author else "",
                    "email": author.email if author else "",
                    "body": other.body,
                    "created_at": other.created_at,
                },
                "yours": ctx.message.body if ctx.message is not None else "",
            },
            in_reply_to=ctx.mail.message_id or None,
        ),
    )


def run(ctx: Context) -> None:
    ticket, message, sender = ctx.ticket, ctx.message, ctx.sender
    if ctx.quiet or message is None:
        return
    assert ticket is not None and sender is not None
    # A new ticket's only mail so far is the one just received: no need to ask.
    refs = (
        [ctx.mail.message_id]
        if ctx.new_ticket and ctx.mail.message_id
        else mailer.references(ctx.session, ticket)
    )
    incoming_id = ctx.mail.message_id or None
    if message.kind == "auto":
        if ctx.new_ticket:
            _notify_staff(ctx, "new_ticket", "agent_new_ticket", refs)
        return
    if ctx.new_ticket:
        if notices.enabled(ctx.services, "confirmation"):
            queued = mailer.queue(
                ctx.session,
                ctx.services,
                ticket,
                Outgoing(
                    event="confirmation",
                    recipient=ticket.requester,
                    context=_message_context(ctx, message, sender),
                    in_reply_to=incoming_id,
                    references=refs,
                ),
            )
            if queued is None:
                ctx.note("notify: no confirmation sent (see the outbox's suppressed row)")
        _notify_staff(ctx, "new_ticket", "agent_new_ticket", refs)
    elif message.kind == "note":
        # A note is how agents talk about a ticket among themselves .
        _notify_staff(ctx, "note", "agent_note", refs, every_agent=True)
    elif message.kind == "answer" and ctx.closing:
        pass  # the closing mail (receipts stage) carries the answer and the rating links
    elif message.kind == "answer":
        _answer(ctx, refs)
    elif message.kind == "unauthenticated":
        # A forwarded copy answered: nobody's word, but the agents should see it.
        _notify_staff(ctx, "requester_reply", "agent_requester_reply", refs)
    elif any(line.startswith(REOPENED) for line in ctx.trace):
        _notify_staff(ctx, "reopened", "reopened", refs)
    elif ticket.closed:
        pass  # a thanks (or a reply to spam) on a closed ticket is only stored
    else:
        _notify_staff(ctx, "requester_reply", "agent_requester_reply", refs)
