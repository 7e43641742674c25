"""`#report` / `#отчёт` (or `#report month`) from an admin: the report answered by mail.

Only an authenticated admin gets it: a From header is trivial to forge, so the mail must
carry the trusted receiving server's DKIM or SPF pass for the admin's domain (`[security]
trusted_authserv_id`), or answer a report mail the helpdesk sent that admin. Anyone else
gets a receipt saying why nothing was sent (at the From address: a forger's victim learns
of the attempt), and the mail is done, not made a ticket.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gateway import desk
from gateway.commands.parse import CommandLine
from gateway.commands.receipt import send_receipt
from gateway.commands.registry import lookup
from gateway.commands.report import Outcome, Report
from gateway.errors import StopProcessing
from gateway.outgoing import compose
from gateway.parse import authres
from gateway.pipeline.context import Context
from gateway.reports.figures import Period
from gateway.reports.mailing import MID_PREFIX, send_report
from gateway.reports.page import EVENT
from gateway.store.model import Outbox, User, utcnow

_PERIODS = {
    "": 7,
    "week": 7,
    "неделя": 7,
    "month": 30,
    "месяц": 30,
    "quarter": 91,
    "квартал": 91,
    "year": 365,
    "год": 365,
}


def requested(commands: list[CommandLine]) -> bool:
    spec = lookup(commands[0].name) if commands else None
    return spec is not None and spec.name == "report"


def _answers_a_report(ctx: Context, user: User) -> bool:
    ids = [compose.bare_id(i) for i in (*ctx.mail.in_reply_to, *ctx.mail.references)]
    ids = [i for i in ids if i.startswith(MID_PREFIX)][-50:]
    if not ids:
        return False
    rows = ctx.session.scalars(
        select(Outbox.rcpt_to).where(Outbox.kind == EVENT, Outbox.message_id.in_(ids))
    )
    return any(user.email.lower() in [r.lower() for r in rcpts] for rcpts in rows)


def refusal(ctx: Context, user: User) -> str | None:
    """Why `user`'s mail may not have the report, or None when it may."""
    if desk.role_of(ctx.session, ctx.services.cfg, user.email) != "admin":
        return "the report is sent to the desk's admins only"
    authserv = ctx.services.cfg.security.trusted_authserv_id
    domain = user.email.rpartition("@")[2]
    if authserv and authres.aligned_pass(
        ctx.mail.header_all("Authentication-Results"), authserv, domain
    ):
        return None
    if _answers_a_report(ctx, user):
        return None
    return (
        "the mail proves neither that it comes from you (no DKIM or SPF pass recorded by "
        "the trusted receiving server) nor answers a report the helpdesk sent you"
    )


def answer(ctx: Context, commands: list[CommandLine], now: dt.datetime | None = None) -> None:
    """Send the report or the refusal; the mail is then done."""
    sender = ctx.sender
    cmd = commands[0]
    if sender is None:
        raise StopProcessing("a #report without a sender address", state="done")
    days = _PERIODS.get(cmd.arg.strip().lower())
    why = refusal(ctx, sender)
    if why is None and days is None:
        why = f"unknown period {cmd.arg!r}; write #report, #report week, month, quarter or year"
    if why is not None:
        ctx.note(f"report: refused for {sender.email}: {why}")
        ctx.report = Report(outcomes=[Outcome(cmd.line, False, "not sent", why)])
        ctx.report_refusal = why
        send_receipt(ctx)
        raise StopProcessing("refused a #report", state="done")
    now = now or utcnow()
    assert days is not None
    period = Period(now - dt.timedelta(days=days), now)
    send_report(
        ctx.session,
        ctx.services,
        [sender],
        period,
        now,
        in_reply_to=ctx.mail.message_id or None,
    )
    ctx.note(f"report: the last {days} days sent to {sender.email}")
    raise StopProcessing("answered a #report", state="done")
