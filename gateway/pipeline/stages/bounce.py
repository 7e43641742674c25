"""Bounce stage: a delivery report, complaint or free-text bounce is read, never answered.

The report's verdict (recipient, status, reason, hard) is stored per recipient. When it
is about our own mail — found by the Message-ID it returns, or by the VERP envelope
sender `support+bounce-<id>@...` it was sent to — that outbox row becomes `bounced` with
the reason, the ticket gets an event, and the agent whose answer bounced is told; the
report is kept on the ticket as a hidden automatic message. A hard bounce suspends
automatic mail to the address (`helpdesk users unsuspend`), soft ones do after
`[bounces] soft_limit` in a row. A bounce never opens a ticket of its own.
Automatic replies (RFC 3834) keep their usual way (stored on their ticket, unanswered);
their verdict is stored as well.
"""

from __future__ import annotations

from sqlalchemy import select

from gateway.addresses import split_address
from gateway.bounces import Failure, Report, read_bounce
from gateway.errors import StopProcessing
from gateway.outgoing import mailer
from gateway.pipeline.context import Context
from gateway.store import tickets
from gateway.store.model import Bounce, Message, Outbox, Suspension, Ticket, User, utcnow

# Verdicts that say the address works: nothing to count against it.
_HARMLESS = {"vacation", "delivered", "feedback"}


def run(ctx: Context) -> None:
    report = read_bounce(ctx.inbound.raw, ctx.mail.tree)
    ctx.mail.tree = None  # read: no later stage needs it, and a batch keeps its messages
    if report is None:
        return
    if ctx.automatic is None and report.kind not in ("dsn", "arf"):
        # A free text that reads like a bounce, from what loop_guard took for a person:
        # only a structured report outweighs that.
        return
    if ctx.automatic is None:
        ctx.automatic = f"{report.kind} report"
    row = _our_mail(ctx, report)
    for failure in report.failures:
        ctx.session.add(
            Bounce(
                inbound_id=ctx.inbound.id,
                outbox_id=row.id if row is not None else None,
                recipient=failure.recipient[:320],
                status=failure.status[:20],
                reason=failure.reason,
                hard=failure.hard,
            )
        )
    summary = ", ".join(
        f"{f.recipient or '?'}: {f.reason} {f.status}".strip() for f in report.failures
    )
    ctx.note(f"bounce: {report.kind} report ({summary})")
    if report.kind == "autoreply":
        return
    if row is None:
        raise StopProcessing("bounce: not about mail of ours; no ticket opened", state="done")
    _mark(ctx, row, report.failures)
    if ctx.ticket is None:
        raise StopProcessing(f"bounce: outbox #{row.id} marked bounced", state="done")
    # Kept on the ticket as a hidden automatic message (the stages after this one answer
    # no automatic mail), so that agents can read what came back.
    ctx.threaded_by = "bounce"
    ctx.note(f"bounce: outbox #{row.id} marked bounced; stored on ticket {ctx.ticket.id}")


def _our_mail(ctx: Context, report: Report) -> Outbox | None:
    """The outbox row the report is about: by VERP token, else by a returned Message-ID."""
    ids: list[str] = []
    for rcpt in ctx.inbound.rcpt_to:
        _, detail, _ = split_address(rcpt)
        if detail.startswith("bounce-"):
            ids.append(f"{detail[len('bounce-') :]}@{ctx.services.domain}")
    ids += report.original_ids
    for mid in ids:
        row = ctx.session.scalar(
            select(Outbox).where(Outbox.message_id == mid).order_by(Outbox.id.desc()).limit(1)
        )
        if row is not None:
            return row
    return None


def _mark(ctx: Context, row: Outbox, failures: list[Failure]) -> None:
    hurt = [f for f in failures if f.reason not in _HARMLESS]
    if not hurt:
        return
    row.state = "bounced"
    row.last_reply = "; ".join(f"{f.recipient}: {f.reason} {f.status}".strip() for f in hurt)
    for failure in hurt:
        _count(ctx, failure)
    ticket = ctx.session.get(Ticket, row.ticket_id) if row.ticket_id else None
    if ticket is None:
        return
    ctx.ticket = ticket
    tickets.add_event(ctx.session, ticket, "mail_bounced", new=row.last_reply[:200])
    if row.kind in ("answer", "closed"):
        author = _author(ctx, ticket, row)
        if author is not None and author.is_agent:
            failures_by = {f.recipient: f"{f.reason} ({f.status})" for f in hurt}
            mailer.tell_author(
                ctx.session, ctx.services, ticket, author, row.subject, failures_by, bounced=True
            )
            ctx.note(f"bounce: {author.email} told that the answer bounced")


def _author(ctx: Context, ticket: Ticket, row: Outbox) -> User | None:
    """The agent whose answer the row carried: the ticket's latest answer before it."""
    message = ctx.session.scalar(
        select(Message)
        .where(
            Message.ticket_id == ticket.id,
            Message.kind == "answer",
            Message.created_at <= row.created_at,
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    if message is None or message.author_id is None:
        return None
    return ctx.session.get(User, message.author_id)


def _count(ctx: Context, failure: Failure) -> None:
    """Suspend automatic mail to the address: at once when hard, after N soft in a row."""
    email = failure.recipient.lower()
    if not email:
        return
    held = ctx.session.get(Suspension, email)
    if held is None:
        held = Suspension(email=email, suspended=False, soft_count=0, reason="", status="")
        ctx.session.add(held)
    held.soft_count = 0 if failure.hard else held.soft_count + 1
    held.reason, held.status, held.updated_at = failure.reason, failure.status, utcnow()
    if failure.hard or held.soft_count >= ctx.services.cfg.bounces.soft_limit:
        if not held.suspended:
            ctx.note(f"bounce: automatic mail to {email} suspended ({failure.reason})")
        held.suspended = True
