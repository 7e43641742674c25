"""Store stage: register the sender, open or update the ticket, keep the message and files.

The service-desk rules that apply while storing (gateway.desk): a new ticket gets its
category and criticality; a demo account's mail changes nothing; a non-agent's reply to
a closed ticket reopens it within `[tickets] reopen_days`, opens a linked new ticket after
that, and is only stored when it just says thanks; a non-agent's files over the limits
are left out and the sender is told.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from gateway import desk
from gateway.desk import (
    attachments,
    catalog,
    classify,
    clock,
    notices,
    participants,
    replies,
    roles,
)
from gateway.errors import StopProcessing
from gateway.pipeline.context import Context
from gateway.settings.config import AGENT_ROLES
from gateway.store import direct, fresh, search, tickets
from gateway.store.model import Attachment, Message, Ticket, User, utcnow

# Trace lines that later stages (notify) read as decisions of this one.
REOPENED = "store: reopened"
_PRIORITY_HEADERS = ("Importance", "X-Priority", "X-MSMail-Priority", "Priority")


def _sender(ctx: Context) -> User:
    mail = ctx.mail
    if ctx.sender is not None:
        return ctx.sender
    behalf = ctx.on_behalf
    if behalf is not None:
        caller = tickets.get_or_create_user(ctx.session, behalf.email, behalf.name)
        if behalf.name and not caller.name:
            caller.name = behalf.name
        return caller
    email = mail.sender.email or ctx.inbound.mail_from.strip("<>").lower()
    if "@" not in email:
        ctx.note("store: the sender could not be read; filed under " + tickets.UNKNOWN_SENDER)
        email = tickets.UNKNOWN_SENDER
    # The access and thread stages looked this sender up already: no need to ask again.
    found = ctx.user(email.strip().lower())
    if found is None:
        return tickets.create_user(ctx.session, email, mail.sender.name)
    return tickets.named(found, mail.sender.name)


def _new_ticket(ctx: Context, sender: User, linked: Ticket | None) -> Ticket:
    mail, cfg = ctx.mail, ctx.services.cfg
    origin = ctx.inbound.origin or {}
    to = [a.email for a in mail.to + mail.cc if a.email]
    category = classify.category_for(
        cfg, classify.intake_addresses(ctx.inbound.rcpt_to, to), str(origin.get("category") or "")
    )
    headers = {h.lower(): mail.header(h) or "" for h in _PRIORITY_HEADERS}
    criticality = classify.criticality_for(cfg, headers, mail.subject, mail.body)
    history = tickets.History()  # the new ticket's first events, in one insert
    ticket = tickets.create_ticket(
        ctx.session,
        subject=mail.subject.strip() or "(no subject)",
        requester=sender,
        source=ctx.inbound.source,
        category=category,
        criticality=criticality,
        status=catalog.initial_status(cfg),
        history=history,
        # The mail in hand is its first message: counted in the INSERT, not by an UPDATE.
        public_messages=1 if ctx.store_message and not _hidden(ctx) else 0,
    )
    # The starting values are history too: reports and `--history` show where they came from.
    if category:
        history.add(ticket, "category", actor="rules", new=category)
    history.add(ticket, "criticality", actor="rules", new=criticality)
    if linked is not None:
        ticket.linked_ticket_id = linked.id
        tags = ctx.services.tag(linked.id), ctx.services.tag(ticket.id)
        history.add(ticket, "linked", actor=sender.email, new=tags[0])
        history.add(linked, "continued", actor=sender.email, new=tags[1])
    if ctx.on_behalf is not None:
        ticket.source = ctx.on_behalf.source
        # The agent who took the call has answered the caller already.
        ticket.first_response_at = utcnow()
        history.add(ticket, "opened_for", actor=ctx.on_behalf.agent.email, new=sender.email)
    elif ctx.automatic is None:
        book = ctx.services.addresses
        seen = {sender.email}
        wanted: list[tuple[str, str]] = []
        for addr in mail.cc + mail.to:
            if not addr.email or book.is_own(addr.email) or addr.email in seen:
                continue
            seen.add(addr.email)
            wanted.append((addr.email, addr.name))
        choice = participants.choose(ctx.session, cfg, sender.email, wanted)
        if choice.proposed:
            ctx.proposed_cc = choice.proposed
            shown = ", ".join(choice.proposed[:50])
            more = len(choice.proposed) - 50
            history.add(
                ticket,
                "cc_proposed",
                actor="rules",
                new=shown + (f" and {more} more" if more > 0 else ""),
            )
            ctx.note(f"store: {len(choice.proposed)} address(es) of To/Cc left for #cc")
        users = tickets.get_or_create_users(ctx.session, choice.taken, choice.known)
        # Agents hear of the ticket anyway; the rest get the answers in Cc.
        cc = [u for u in users if roles.role_for(cfg, u.email, u) not in AGENT_ROLES]
        tickets.add_new_ticket_participants(ctx.session, ticket, cc, sender.email, history)
    history.write(ctx.session)
    return ticket


def _hidden(ctx: Context) -> bool:
    """Whether the mail in hand is stored hidden from the requester (see _kind)."""
    return _kind(ctx, "")[1]


def _kind(ctx: Context, role: str) -> tuple[str, bool]:
    """The message's kind and whether it is hidden from the requester."""
    if ctx.automatic is not None:
        return "auto", True
    if ctx.unauthenticated is not None:
        return "unauthenticated", True
    if ctx.hidden_note:
        return "note", True
    if role in AGENT_ROLES and not ctx.new_ticket:
        return "answer", False
    return "request", False


def _attachments(ctx: Context, message: Message, sender: User, role: str) -> None:
    parts = list(ctx.mail.attachments)
    refused: list[attachments.Refused] = []
    if role not in AGENT_ROLES:
        parts, refused = attachments.screen(ctx.services.cfg.attachments, parts)
    ctx.attachments = parts
    for part in parts:
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
    if not refused:
        return
    assert ctx.ticket is not None
    for r in refused:
        ctx.note(f"store: left out {r.filename!r} ({r.size} bytes): {r.reason}")
        tickets.add_event(
            ctx.session,
            ctx.ticket,
            "attachment_refused",
            actor="rules",
            new=f"{r.filename} ({r.size} bytes): {r.reason}",
        )
    if ctx.automatic is None:  # never an automatic reply to automatic mail
        notices.send(
            ctx.session,
            ctx.services,
            ctx.ticket,
            "attachment_refused",
            sender,
            {"files": [r.as_context() for r in refused], "message": {"subject": message.subject}},
        )


def _reply_to_closed(ctx: Context, ticket: Ticket, sender: User) -> Ticket | None:
    """Apply the rules for a non-agent's reply to a closed ticket; the closed ticket when
    the reply is to open a new ticket linked to it."""
    cfg = ctx.services.cfg
    text = ctx.body if ctx.body is not None else ctx.mail.body
    if ticket.status == catalog.SPAM:
        ctx.note("store: reply to a ticket closed as spam; stored, not reopened")
    elif replies.is_thanks_only(text, cfg.tickets.thanks_phrases):
        ctx.note("store: thanks on a closed ticket; stored, not reopened")
    else:
        closed_at = ticket.resolved_at or ticket.updated_at
        if utcnow() - closed_at <= dt.timedelta(days=cfg.tickets.reopen_days):
            desk.reopen(ctx.session, ctx.services, ticket, sender)
            ctx.note(f"{REOPENED} ticket {ticket.id}")
        else:
            ctx.note(f"store: ticket {ticket.id} closed too long ago; a linked new ticket")
            return ticket
    return None


def _after_message(ctx: Context, ticket: Ticket, sender: User, kind: str) -> None:
    """What the new message does to the ticket (automatic mail never changes its state)."""
    cfg = ctx.services.cfg
    now = utcnow()
    if kind == "answer":
        ticket.last_public_by = "agent"
        clock.answered(cfg, ticket, now)
        if ticket.status == catalog.initial_status(cfg):
            desk.move_status(ctx.session, ctx.services, ticket, cfg.tickets.answer_status, sender)
    elif kind == "request":
        if ticket.last_public_by != "requester":  # unchanged: nothing for the flush
            ticket.last_public_by = "requester"
        if not ctx.new_ticket and not ticket.closed:
            if catalog.pauses_sla(cfg, ticket.status):
                # The requester answered what the desk waited for: the clocks run again.
                desk.move_status(
                    ctx.session, ctx.services, ticket, cfg.tickets.reopen_status, sender
                )
            clock.requester_wrote(cfg, ticket, now)
    if kind != "auto" and not ctx.new_ticket:  # a new ticket was created just now
        ticket.updated_at = now


def run(ctx: Context) -> None:
    mail, cfg = ctx.mail, ctx.services.cfg
    sender = _sender(ctx)
    ctx.sender = sender
    role = roles.role_for(cfg, sender.email, sender)
    if role == "demo" and ctx.store_message:
        # A demo account sees every ticket's state and changes nothing.
        if ctx.ticket is None:
            raise StopProcessing("a demo account opens no tickets", state="done")
        ctx.note("store: a demo account changes nothing; the message is not kept on the ticket")
        ctx.store_message, ctx.quiet = False, True
    linked: Ticket | None = None
    if (
        ctx.ticket is not None
        and ctx.ticket.closed
        and ctx.store_message
        and not ctx.closing  # the mail's own #close: its text must not reopen it
        and ctx.automatic is None
        and ctx.unauthenticated is None  # nobody's word: it reopens nothing
        and role not in AGENT_ROLES
    ):
        linked = _reply_to_closed(ctx, ctx.ticket, sender)
        if linked is not None:
            ctx.ticket = None
    if ctx.ticket is None:
        ctx.ticket = _new_ticket(ctx, sender, linked)
        ctx.new_ticket = True
        ctx.note(f"store: new ticket {ctx.ticket.id}")
    ticket = ctx.ticket
    if not ctx.store_message:
        return
    kind, hidden = _kind(ctx, role)
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
    if not hidden and not ctx.new_ticket:  # a new ticket counted it in its INSERT
        # In SQL (public_messages + 1), not read-modify-write: two daemons storing mails
        # of one ticket at once each add theirs.
        # Flushed with the ticket's other changes, in one UPDATE at the message's end.
        ticket.public_messages = Ticket.public_messages + 1
    direct.add(ctx.session, message)
    search.index_message(ctx.session, message.id, message.full_text)
    ctx.message = message
    _attachments(ctx, message, sender, role)
    if mail.message_id:
        # A requester never saw an agent's own mail or a hidden note: never name it to them.
        private = hidden or role in AGENT_ROLES
        # Written now, not at the next flush: the notices of this very message thread
        # onto it (the session runs without autoflush).
        fresh.write_ref(
            ctx.session, message_id=mail.message_id[:998], ticket_id=ticket.id, private=private
        )
    if not ctx.new_ticket:
        tickets.add_event(ctx.session, ticket, "message", actor=sender.email, new=kind)
    _after_message(ctx, ticket, sender, kind)
