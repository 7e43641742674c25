"""Replies to the quarantine digest: `#ham ID` lines release held messages."""

from __future__ import annotations

from gateway import spam
from gateway.commands.parse import CommandLine
from gateway.commands.receipt import send_receipt
from gateway.commands.registry import lookup
from gateway.commands.report import Outcome, Report
from gateway.errors import StopProcessing
from gateway.pipeline.context import Context
from gateway.spam.digest import is_digest_reply
from gateway.store.model import Inbound


def reply(ctx: Context, commands: list[CommandLine]) -> None:
    """Release what an agent's reply to a digest names; receipt; the mail is then done."""
    sender = ctx.sender
    assert sender is not None
    refs = [*ctx.mail.in_reply_to, *ctx.mail.references]
    if not is_digest_reply(ctx.session, refs, sender):
        return
    outcomes = []
    for cmd in commands:
        spec = lookup(cmd.name)
        if spec is None or spec.name != "ham":
            outcomes.append(Outcome(cmd.line, False, "only #ham ID works in a digest reply"))
            continue
        for raw_id in cmd.arg.replace(",", " ").split():
            row = ctx.session.get(Inbound, int(raw_id)) if raw_id.isdigit() else None
            if row is None or row.state != "held":
                outcomes.append(
                    Outcome(
                        f"#ham {raw_id}",
                        False,
                        "no such held message",
                        "use the numbers listed in the digest",
                    )
                )
                continue
            spam.release(ctx.session, ctx.services, row, sender.email)
            outcomes.append(
                Outcome(f"#ham {raw_id}", True, "released: it becomes a ticket; learned as ham")
            )
    ctx.report = Report(outcomes=outcomes, applied=all(o.ok for o in outcomes))
    send_receipt(ctx)
    raise StopProcessing("released held messages from a digest reply", state="done")
