"""Applying one mail's commands: all of them, or none of them."""

from __future__ import annotations

from gateway import desk
from gateway.commands.actions import ACTIONS, check_argument
from gateway.commands.parse import CommandLine
from gateway.commands.registry import known_names, lookup
from gateway.commands.report import Outcome, Report
from gateway.commands.run import CommandFailed, Run
from gateway.directory.records import redact
from gateway.pipeline.context import Context
from gateway.store.model import Ticket, User


def _one(run: Run, cmd: CommandLine, is_agent: bool) -> Outcome:
    # The receipt quotes the line: a password set by `#card set` must not come back.
    cmd = CommandLine(cmd.name, cmd.arg, redact(cmd.line))
    spec = lookup(cmd.name)
    if spec is None:
        return Outcome(
            cmd.line, False, f"unknown command #{cmd.name}", f"known commands: {known_names()}"
        )
    if not is_agent and not spec.requester:
        return Outcome(
            cmd.line,
            False,
            f"#{spec.name} is for agents",
            "write your request in words; an agent will take care of it",
        )
    if not is_agent and run.actor.id != run.ticket.requester_id:
        # A participant in Cc follows the ticket; closing it is the requester's say.
        return Outcome(
            cmd.line,
            False,
            f"#{spec.name} is for the ticket's requester and the agents",
            "you follow this ticket as a participant: write in words what you need",
        )
    try:
        check_argument(spec, cmd)
        return Outcome(cmd.line, True, ACTIONS[spec.name](run, cmd))
    except CommandFailed as exc:
        return Outcome(cmd.line, False, exc.reason, exc.fix)
    except desk.InvalidValue as exc:
        return Outcome(
            cmd.line,
            False,
            f"unknown {exc.what} {exc.value!r}",
            f"use one of: {', '.join(exc.allowed)}",
        )


def execute(
    ctx: Context, ticket: Ticket, actor: User, commands: list[CommandLine], is_agent: bool
) -> Report:
    """Apply `commands` in a savepoint; when any fails, roll all of them back."""
    session = ctx.session
    flags = (ctx.hidden_note, ctx.quiet)
    run = Run(ctx=ctx, ticket=ticket, actor=actor)
    report = Report()
    savepoint = session.begin_nested()
    try:
        for cmd in commands:
            report.outcomes.append(_one(run, cmd, is_agent))
    except BaseException:
        savepoint.rollback()
        raise
    if report.failed:
        savepoint.rollback()
        ctx.hidden_note, ctx.quiet = flags
        for outcome in report.outcomes:
            if outcome.ok:
                outcome.ok, outcome.detail = False, f"not applied ({outcome.detail})"
                outcome.fix = "nothing was changed because another command failed"
        return report
    savepoint.commit()
    report.applied = True
    report.extra_text = run.extra_text
    report.closed = run.closed
    return report
