"""Spam feedback stage (after store): mark suspect tickets, learn answered tickets as ham.

An agent's answer confirms that the ticket's first mail was wanted: a sure label that
costs the agents nothing. It is learned once per ticket; a failure to learn is noted and
never costs the agent's answer (it runs in a savepoint of its own).
"""

from __future__ import annotations

import logging

from gateway.pipeline.context import Context
from gateway.spam.learning import MARKER, learn_answered
from gateway.store import tickets

log = logging.getLogger(__name__)


def run(ctx: Context) -> None:
    cfg = ctx.services.cfg.spam
    ticket, message = ctx.ticket, ctx.message
    if not cfg.enabled or ticket is None:
        return
    spam = (ctx.inbound.origin or {}).get(MARKER)
    if ctx.new_ticket and isinstance(spam, dict) and not spam.get("released_by"):
        tickets.add_event(ctx.session, ticket, "spam_suspect", new=f"{spam.get('score')}")
    if (
        cfg.learn_from_answers
        and message is not None
        and message.kind == "answer"
        and ctx.sender is not None
        and ticket.status != "spam"
    ):
        try:
            with ctx.session.begin_nested():
                done = learn_answered(ctx.session, ctx.services, ticket, ctx.sender.email)
        except Exception:
            log.exception("ticket %d: learning the answered request as ham failed", ticket.id)
            done = "learning failed (see the log)"
        ctx.note(f"spam_feedback: {done}")
