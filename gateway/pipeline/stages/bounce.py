"""Bounce stage: a delivery report, complaint or free-text bounce is read, never answered.

The report's verdict (recipient, status, reason, hard) is stored per recipient. When it
is about our own mail — found by the Message-ID it returns, or by the VERP envelope
sender `support+bounce-<id>@...` it was sent to — that outbox row becomes `bounced` with
the reason, the ticket gets an event, and the agent whose answer bounced is told; the
report is kept on the ticket as a hidden automatic message. A hard bounce suspends
automatic mail to the address (`helpdesk users unsuspend`), soft ones do after
`[bounces] soft_limit` in a row. A complaint (ARF) about our mail suspends automatic mail
to the complainant at once, with a `mail_complaint` event on the ticket; a report that
our mail was not spam (`not-spam`) or an authentication report suspends nothing. A bounce
never opens a ticket of its own.
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
from gateway.store import suspensions, tickets
from gateway.store.model import Bounce, Message, Outbox, Ticket, User

# Verdicts that say the address works: nothing to count against it.
_HARMLESS = {"vacation", "delivered", "feedback"}
# ARF Feedback-Types that are no complaint about the mail: a report that it was not spam,
# and DMARC / SPF / DKIM failure reports (RFC 6591) about whoever forged our domain.
_NOT_COMPLAINTS = {"not-spam", "auth-failure", "dkim", "spf", "dmarc"}


def run(ctx: Context) -> None:
    report = ctx.bounce if ctx.bounce_read else read_bounce(ctx.inbound.raw, ctx.mail.tree)
    ctx.mail.tree = None  # read: no later stage needs it, and a batch keeps its messages
    if report is None:
        return
    if ctx.automatic is None and report.kind not in ("dsn", "arf", "mta"):
        # A free text that reads like a bounce, from what loop_guard took for a person:
        # only a structured report outweighs that.
        return
    if ctx.automatic is None:
        ctx.automatic = f"{report.kind} report"
    row = _our_mail(ctx, report)
    stored: list[tuple[Failure, Bounce]] = []
    for failure in report.failures:
        bounce = Bounce(
            inbound_id=ctx.inbound.id,
            outbox_id=row.id if row is not None else None,
            recipient=failure.recipient[:320],
            status=(failure.status or failure.feedback_type)[:20],
            reason=failure.reason,
            hard=failure.hard,
        )
        ctx.session.add(bounce)
        stored.append((failure, bounce))
    ctx.session.flush()  # the rows' ids, for the suspensions they cause
    summary = ", ".join(
        f"{f.recipient or '?'}: {f.reason} {f.status}".strip() for f in report.failures
    )
    ctx.note(f"bounce: {report.kind} report ({summary})")
    if report.kind == "autoreply":
        return
    if row is None:
        raise StopProcessing("bounce: not about mail of ours; no ticket opened", state="done")
    if report.kind == "arf":
        _complaint(ctx, row, stored)
        if ctx.ticket is None:
            raise StopProcessing(f"bounce: complaint about outbox #{row.id}", state="done")
        ctx.threaded_by = "bounce"
        ctx.note(f"bounce: complaint about outbox #{row.id}; stored on ticket {ctx.ticket.id}")
        return
    _mark(ctx, row, stored)
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


def _complaint(ctx: Context, row: Outbox, stored: list[tuple[Failure, Bounce]]) -> None:
    """A complaint about our mail `row`: automatic mail to the complainant is suspended.

    The complainant is the reported recipient when it is one of the row's; providers
    redact or hash it ("redacted@", "hashed@"), and then it is the row's recipients.
    """
    failure, bounce = stored[0]
    kind = failure.feedback_type or "abuse"
    if kind in _NOT_COMPLAINTS:
        ctx.note(f"bounce: {kind} report about outbox #{row.id}; nothing suspended")
        return
    ours = [r.lower() for r in row.rcpt_to]
    named = [(f, b) for f, b in stored if f.recipient.lower() in ours]
    whom = [(f.recipient.lower(), b) for f, b in named] or [(r, bounce) for r in ours]
    ticket = ctx.session.get(Ticket, row.ticket_id) if row.ticket_id else None
    for email, cause in whom:
        if suspensions.complain(ctx.session, email, kind, cause.id):
            ctx.note(f"bounce: automatic mail to {email} suspended (complaint: {kind})")
        else:
            ctx.note(f"bounce: complaint from {email} ({kind}); already suspended for it")
        if ticket is not None:
            tickets.add_event(ctx.session, ticket, "mail_complaint", old=kind, new=email)
    ctx.ticket = ticket


def _mark(ctx: Context, row: Outbox, stored: list[tuple[Failure, Bounce]]) -> None:
    hurt = [f for f, _ in stored if f.reason not in _HARMLESS]
    if not hurt:
        return
    row.state = "bounced"
    row.last_reply = "; ".join(f"{f.recipient}: {f.reason} {f.status}".strip() for f in hurt)
    for failure, bounce in stored:
        if failure.reason not in _HARMLESS:
            _count(ctx, failure, bounce)
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


def _count(ctx: Context, failure: Failure, bounce: Bounce) -> None:
    """Suspend automatic mail to the address: at once when hard, after N soft in a row."""
    email = failure.recipient.lower()
    if not email:
        return
    limit = ctx.services.cfg.bounces.soft_limit
    if suspensions.count_bounce(
        ctx.session, email, failure.reason, failure.status, failure.hard, bounce.id, limit
    ):
        ctx.note(f"bounce: automatic mail to {email} suspended ({failure.reason})")
