"""Repeats stage: a sender's mail that repeats their last one on the ticket is automatic.

Runs after thread. A naive auto-responder (no header, an ordinary "Re:" subject) gives
itself away by answering every mail with the same text within minutes; such a mail is
kept on the ticket as automatic, so that it is relayed to nobody and answered by
nothing. A person who really sends the same text twice loses nothing: it is stored, and
the agents see it on the ticket.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select

from gateway.guard.autoreply import near_identical
from gateway.pipeline.context import Context
from gateway.store.model import Message, utcnow
from gateway.store.precompiled import Precompiled

# Looking further back costs more than a loop would ever get through the relay limit.
_LAST_MESSAGES = 5

# The sender's last relayed mails on the ticket, precompiled (every reply asks:
# gateway.store.precompiled); the runner's stages do not autoflush, so a plain read
# sees what the ORM's query did.
_EARLIER = Precompiled(
    select(Message.body)
    .where(
        Message.ticket_id == bindparam("ticket"),
        Message.author_id == bindparam("author"),
        Message.created_at >= bindparam("since"),
        # Only what was relayed can loop: an agent sending a refused command again
        # (its first try kept as a hidden note) is no auto-responder.
        Message.hidden.is_(False),
    )
    .order_by(Message.id.desc())
    .limit(_LAST_MESSAGES)
)


def run(ctx: Context) -> None:
    ticket, sender = ctx.ticket, ctx.sender
    minutes = ctx.services.cfg.loop.repeat_minutes
    if ctx.automatic is not None or ticket is None or sender is None or minutes <= 0:
        return
    since = utcnow() - dt.timedelta(minutes=minutes)
    params = {"ticket": ticket.id, "author": sender.id, "since": since}
    earlier = [old for (old,) in _EARLIER.rows(ctx.session.connection(), params)]
    body = ctx.mail.body
    if any(near_identical(body, old) for old in earlier):
        ctx.automatic = f"repeats the sender's mail of the last {minutes} minutes"
        ctx.note(f"repeats: automatic mail ({ctx.automatic})")
