"""Access stage: a denied sender gets no ticket, only a polite refusal — at most one a day,
and never in answer to automatic mail (loop safety)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gateway.desk import notices, roles
from gateway.errors import StopProcessing
from gateway.pipeline.context import Context
from gateway.store import tickets
from gateway.store.model import Outbox, utcnow


def _refused_today(ctx: Context, email: str) -> bool:
    since = utcnow() - dt.timedelta(days=1)
    rows = ctx.session.scalars(
        select(Outbox.rcpt_to).where(Outbox.kind == "denied", Outbox.created_at >= since)
    )
    return any(email in rcpt for rcpt in rows)


def run(ctx: Context) -> None:
    email = ctx.mail.sender.email
    # What roles.role_of does, with the lookup shared with the thread stage.
    known = email.strip().lower()
    if not email or roles.role_for(ctx.services.cfg, known, ctx.user(known)) != "denied":
        return
    if ctx.automatic is None and not _refused_today(ctx, email):
        user = tickets.get_or_create_user(ctx.session, email, ctx.mail.sender.name)
        context = {"message": {"subject": ctx.mail.subject}}
        if notices.send(ctx.session, ctx.services, None, "denied", user, context) is not None:
            ctx.note("access: sent the refusal")
    raise StopProcessing(f"access: {email} is denied; no ticket", state="ignored")
