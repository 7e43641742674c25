"""Store stage: register the sender, open or update the ticket, keep the message and files."""

from __future__ import annotations

import hashlib

from gateway import tickets
from gateway.model import Attachment, Message, MessageRef, Ticket, User, utcnow
from gateway.pipeline import Context


def _sender(ctx: Context) -> User:
    mail = ctx.mail
    if ctx.sender is not None:
        return ctx.sender
    email = mail.sender.email or ctx.inbound.mail_from.strip("<>").lower()
    if "@" not in email:
        ctx.note("store: the sender could not be read; filed under " + tickets.UNKNOWN_SENDER)
        email = tickets.UNKNOWN_SENDER
    return tickets.get_or_create_user(ctx.session, email, mail.sender.name)


def _new_ticket(ctx: Context, sender: User) -> Ticket:
    mail = ctx.mail
    origin = ctx.inbound.origin or {}
    category = str(origin.get("category") or "")
    subject = mail.subject.strip() or "(no subject)"
    ticket = tickets.create_ticket(
        ctx.session,
        subject=subject,
        requester=sender,
        source=ctx.inbound.source,
        category=category,
    )
    if ctx.automatic is None:
        book = ctx.services.addresses
        seen = {sender.email}
        for addr in mail.cc + mail.to:
            if not addr.email or book.is_own(addr.email) or addr.email in seen:
                continue
            seen.add(addr.email)
            user = tickets.get_or_create_user(ctx.session, addr.email, addr.name)
            if user.is_agent:  # agents hear of the ticket anyway
                continue
            tickets.add_participant(ctx.session, ticket, user, actor=sender.email)
    return ticket


def _kind(ctx: Context, sender: User) -> tuple[str, bool]:
    """The message's kind and whether it is hidden from the requester."""
    if ctx.automatic is not None:
        return "auto", True
    if ctx.unauthenticated is not None:
        return "unauthenticated", True
    if ctx.hidden_note:
        return "note", True
    if sender.is_agent and not ctx.new_ticket:
        return "answer", False
    return "request", False


def _attachments(ctx: Context, message: Message) -> None:
    ctx.attachments = list(ctx.mail.attachments)
    for part in ctx.attachments:
        sha = hashlib.sha256(part.data).hexdigest()
        tickets.store_blob(ctx.session, sha, part.data)
        ctx.session.add(
            Attachment(
                message_id=message.id,
                filename=part.filename[:255],
                content_type=part.content_type[:255],
                size=len(part.data),
                sha256=sha,
                inline=part.inline,
                content_id=part.content_id[:998],
            )
        )


def run(ctx: Context) -> None:
    mail = ctx.mail
    sender = _sender(ctx)
    ctx.sender = sender
    if ctx.ticket is None:
        ctx.ticket = _new_ticket(ctx, sender)
        ctx.new_ticket = True
        ctx.note(f"store: new ticket {ctx.ticket.id}")
    ticket = ctx.ticket
    if not ctx.store_message:
        return
    kind, hidden = _kind(ctx, sender)
    message = Message(
        ticket_id=ticket.id,
        inbound_id=ctx.inbound.id,
        author_id=sender.id,
        kind=kind,
        hidden=hidden,
        subject=mail.subject[:998],
        body=ctx.body if ctx.body is not None else mail.body,
        quoted=mail.quoted,
        signature=mail.signature,
        full_text=mail.text,
        html=mail.html,
        parse_problems=list(mail.problems),
        created_at=utcnow(),
    )
    ctx.session.add(message)
    ctx.session.flush()
    ctx.message = message
    _attachments(ctx, message)
    if mail.message_id:
        ctx.session.add(MessageRef(message_id=mail.message_id[:998], ticket_id=ticket.id))
    if not ctx.new_ticket:
        tickets.add_event(ctx.session, ticket, "message", actor=sender.email, new=kind)
    # Automatic mail never changes a ticket's state (loop safety).
    if kind == "answer":
        ticket.last_public_by = "agent"
        if ticket.status == tickets.DEFAULT_STATUS:
            tickets.set_status(ctx.session, ticket, "in_progress", sender.email)
    elif kind == "request":
        ticket.last_public_by = "requester"
    if kind != "auto":
        ticket.updated_at = utcnow()
