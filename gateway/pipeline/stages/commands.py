"""Commands stage: `#my` lists, ratings by mailto link, and authenticated `#` commands.

Runs after thread and before store. Automatic mail never executes anything. A mail that
answers a copy of the desk's mail sent to someone else (gateway.commands.copies) acts as
nobody. An agent's mail (commands or a plain answer) must authenticate
(gateway.commands.auth); one that does not is kept on the ticket as a hidden note marked
unauthenticated, and the agent's real address is told why. Commands apply all or none; the
agent gets one receipt per mail. Requester-only commands are the requester's alone, not
the participants'.
"""

from __future__ import annotations

from gateway.commands import copies, digest, my, on_behalf, rating, report_request
from gateway.commands.auth import authenticate
from gateway.commands.execute import execute
from gateway.commands.parse import split_commands
from gateway.commands.report import Outcome, Report
from gateway.desk import roles
from gateway.errors import StopProcessing
from gateway.pipeline.context import Context


def _is_agent(ctx: Context) -> bool:
    sender = ctx.sender
    if sender is None:
        return False
    # The sender's own row, as the thread stage loaded it: no need to look it up again.
    return roles.role_for(ctx.services.cfg, sender.email, sender) in ("agent", "admin")


def run(ctx: Context) -> None:
    if ctx.automatic is not None:
        return
    commands, rest = split_commands(ctx.mail.body)
    if my.requested(ctx, commands):
        my.answer(ctx, commands)
        raise StopProcessing("answered a request for the sender's ticket list", state="done")
    owner = copies.someone_elses(ctx)
    if owner is not None:
        # Forwarded or harvested: neither the copy's recipient's word nor a request.
        copies.keep_as_unauthenticated(ctx, owner, [c.line for c in commands])
        return
    if ctx.token is not None and ctx.token.kind == "g":
        rating.record(ctx, rest)
        raise StopProcessing("recorded a rating", state="done")
    ticket, sender = ctx.ticket, ctx.sender
    if ticket is None and report_request.requested(commands):
        report_request.answer(ctx, commands)
    if ticket is None or sender is None:
        if commands and _is_agent(ctx) and on_behalf.requested(commands):
            on_behalf.open_for(ctx, commands, rest)
        elif commands and _is_agent(ctx):
            digest.reply(ctx, commands)
        return  # otherwise a new ticket: commands only steer existing ones
    is_agent = _is_agent(ctx)
    if not is_agent and not commands:
        return  # a requester's plain reply needs no proof of who wrote it
    auth = authenticate(ctx, sender, ticket)
    if not auth.ok:
        ctx.note(f"commands: {sender.email} not authenticated: {auth.reason}")
        ctx.report = Report(outcomes=[Outcome(c.line, False, "not executed") for c in commands])
        ctx.report_refusal = auth.reason
        if is_agent:
            # Never relayed: kept for the agents to see, marked as unauthenticated.
            ctx.unauthenticated = auth.reason
            ctx.hidden_note = True
            ctx.quiet = True
        return
    if not commands:
        return
    if roles.role_for(ctx.services.cfg, sender.email, sender) == "demo":
        ctx.report = Report(
            outcomes=[Outcome(c.line, False, "a demo account changes nothing") for c in commands]
        )
        ctx.store_message = False
        ctx.quiet = True
        return
    report = execute(ctx, ticket, sender, commands, is_agent)
    ctx.report = report
    ctx.note(
        f"commands: {'applied' if report.applied else 'refused'}: "
        + "; ".join(o.line for o in report.outcomes)
    )
    if not report.applied:
        if is_agent:
            # Nothing changes, not even a message: the receipt gives the text back.
            ctx.store_message = False
            ctx.quiet = True
        # A requester's mail is kept whole (command lines included) for the agents.
        return
    text = "\n\n".join(part for part in (rest.strip(), *report.extra_text) if part)
    ctx.body = text
    ctx.closing = report.closed
    if not text:
        ctx.store_message = False
