"""Parse stage: decode the raw message; whatever cannot be read is noted, never fatal."""

from __future__ import annotations

from gateway.guard.budget import Budget
from gateway.parse import parse_message
from gateway.pipeline.context import Context


def run(ctx: Context) -> None:
    # The runner parses a batch before it opens the write transaction (parsing is the
    # slow part, and intake must never wait for it); parsed here only when it did not.
    parsed = ctx.parsed
    if parsed is None:
        budget = Budget(ctx.services.cfg.runner.parse_seconds)
        parsed = parse_message(ctx.inbound.raw, budget)
    ctx.parsed = parsed
    ctx.inbound_message_id = parsed.message_id[:998] or None
    for problem in parsed.problems:
        ctx.note(f"parse: {problem}")
