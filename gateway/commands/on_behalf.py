"""`#for EMAIL` (`#от`, `#за`) at the top of an agent's new mail: a ticket for a caller.

`#for EMAIL via walk-in` names how they came (default: phone); `#name "Иван Петров"`
names a requester the desk does not know yet. The ticket opens as if the caller had
written (they get the confirmation), with the agent as its assignee and first responder.
Where `[security] trusted_authserv_id` is set, the agent's mail must carry an aligned
DKIM or SPF pass, as any agent's mail must.
"""

from __future__ import annotations

import re
import shlex
from typing import NoReturn

from gateway.commands.parse import CommandLine
from gateway.commands.receipt import send_receipt
from gateway.commands.registry import lookup
from gateway.commands.report import Outcome, Report
from gateway.directory.records import valid_email
from gateway.errors import StopProcessing
from gateway.parse import authres
from gateway.pipeline.context import Context, OnBehalf

_VIA = re.compile(r"^(?P<email>\S+)(?:\s+(?:via|через)\s+(?P<via>[\w-]+))?$", re.IGNORECASE)
SOURCES = {"phone": "phone", "телефон": "phone", "walk-in": "walk-in", "лично": "walk-in"}


def requested(commands: list[CommandLine]) -> bool:
    spec = lookup(commands[0].name) if commands else None
    return spec is not None and spec.name == "for"


def _refuse(ctx: Context, commands: list[CommandLine], why: str, fix: str) -> NoReturn:
    """Tell the agent why, and stop: a refused `#for` opens no ticket at all."""
    ctx.report = Report(outcomes=[Outcome(c.line, c is commands[0], "") for c in commands])
    ctx.report.outcomes[0] = Outcome(commands[0].line, False, why, fix)
    for outcome in ctx.report.outcomes[1:]:
        outcome.ok, outcome.detail = False, "not applied"
    send_receipt(ctx)
    raise StopProcessing(f"#for refused: {why}", state="done")


def open_for(ctx: Context, commands: list[CommandLine], rest: str) -> None:
    """Set the mail up as the caller's new ticket; when refused, the agent gets a receipt
    and the mail is done (StopProcessing)."""
    agent = ctx.sender
    assert agent is not None
    authserv = ctx.services.cfg.security.trusted_authserv_id
    domain = agent.email.rpartition("@")[2]
    if (
        authserv
        and authres.aligned_pass(ctx.mail.header_all("Authentication-Results"), authserv, domain)
        is None
    ):
        _refuse(
            ctx,
            commands,
            f"{authserv} recorded no DKIM or SPF pass for {domain}",
            "send from your own mail server",
        )
    match = _VIA.match(commands[0].arg.strip())
    email = match["email"].strip("<>").lower() if match else ""
    if not valid_email(email):
        _refuse(
            ctx,
            commands,
            f"not an email address: {commands[0].arg!r}",
            "write #for ivan@example.com (or #for ivan@example.com via walk-in)",
        )
    via = (match["via"] or "phone").lower() if match else "phone"
    if via not in SOURCES:
        _refuse(ctx, commands, f"unknown way of calling {via!r}", "use via phone or via walk-in")
    name = ""
    outcomes = []
    for cmd in commands[1:]:
        spec = lookup(cmd.name)
        if spec is None or spec.name != "name":
            _refuse(
                ctx,
                commands,
                f"{cmd.line!r} does not go with #for",
                'only #name "Имя Фамилия" may follow #for',
            )
        try:
            name = " ".join(shlex.split(cmd.arg))
        except ValueError:
            name = cmd.arg.strip().strip('"')
        outcomes.append(Outcome(cmd.line, True, f"the requester is named {name}"))
    if not rest.strip():
        _refuse(
            ctx,
            commands,
            "the mail says nothing about the request",
            "write what the caller needs below the #for line",
        )
    ctx.on_behalf = OnBehalf(agent=agent, email=email, name=name, source=SOURCES[via])
    ctx.body = rest.strip()
    ctx.sender = None  # the store stage registers the caller as the sender
    detail = f"a ticket opens for {email} ({SOURCES[via]}), assigned to you"
    ctx.report = Report(outcomes=[Outcome(commands[0].line, True, detail), *outcomes])
    ctx.report.applied = True
    ctx.note(f"commands: {agent.email} opens a ticket for {email} ({SOURCES[via]})")
