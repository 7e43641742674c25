"""What each command does to a ticket, through the service-desk rules (gateway.desk).

Every action either applies fully and returns a line for the receipt, or raises
CommandFailed with why and how to fix it; the caller rolls back all of a mail's actions
when any one fails.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete

from gateway import desk
from gateway.commands.canned import render_canned
from gateway.commands.parse import CommandLine
from gateway.commands.registry import Spec
from gateway.commands.run import CommandFailed, Run
from gateway.commands.tools import card, faq, new_ticket_only, send
from gateway.similar import categories
from gateway.store import tickets
from gateway.store.model import Inbound, Participant, User

Action = Callable[[Run, CommandLine], str]


def _agent(run: Run, email: str) -> User:
    email = email.strip().strip("<>").lower()
    user = tickets.find_user(run.ctx.session, email)
    if user is None or desk.role_of(run.ctx.session, run.services.cfg, email) not in (
        "agent",
        "admin",
    ):
        raise CommandFailed(f"{email} is not an agent", "name an agent's address, or `me`")
    return user


def _invalid(exc: desk.InvalidValue) -> CommandFailed:
    allowed = ", ".join(exc.allowed)
    return CommandFailed(f"unknown {exc.what} {exc.value!r}", f"use one of: {allowed}")


def note(run: Run, cmd: CommandLine) -> str:
    run.ctx.hidden_note = True
    return "the message is a hidden note for agents"


def spam(run: Run, cmd: CommandLine) -> str:
    from gateway import spam as spam_filter

    spam_filter.mark_spam(run.ctx.session, run.services, run.ticket, run.actor)
    _status(run, "spam")
    run.ctx.hidden_note = True
    run.ctx.quiet = True
    return "closed as spam; nobody was told; the filter learned it as spam"


def ham(run: Run, cmd: CommandLine) -> str:
    from gateway import spam as spam_filter

    ids = cmd.arg.replace(",", " ").split()
    if not ids:
        if run.ticket.status != "spam":
            raise CommandFailed(
                "this ticket is not marked as spam", "to release a held message, write `#ham ID`"
            )
        desk.reopen(run.ctx.session, run.services, run.ticket, run.actor)
        spam_filter.learn_ticket(run.ctx.session, run.services, run.ticket, False, run.actor.email)
        return "not spam: reopened, and the filter learned it as ham"
    released = []
    for raw_id in ids:
        row = run.ctx.session.get(Inbound, int(raw_id)) if raw_id.isdigit() else None
        if row is None or row.state != "held":
            raise CommandFailed(
                f"no held message #{raw_id}", "use the numbers listed in the quarantine digest"
            )
        spam_filter.release(run.ctx.session, run.services, row, run.actor.email)
        released.append(f"#{row.id}")
    return f"released {', '.join(released)}: each becomes a ticket; learned as ham"


def close(run: Run, cmd: CommandLine) -> str:
    if run.ticket.closed:
        raise CommandFailed("the ticket is already closed", "use #reopen first")
    if cmd.arg:
        run.extra_text.append(cmd.arg)
    desk.close(run.ctx.session, run.services, run.ticket, run.actor)
    run.closed = True
    return "closed"


def reopen(run: Run, cmd: CommandLine) -> str:
    if not run.ticket.closed:
        raise CommandFailed("the ticket is open", "nothing to reopen")
    desk.reopen(run.ctx.session, run.services, run.ticket, run.actor)
    return f"reopened ({run.ticket.status})"


def _status(run: Run, name: str) -> None:
    try:
        desk.change_status(run.ctx.session, run.services, run.ticket, name, run.actor)
    except desk.InvalidValue as exc:
        raise _invalid(exc) from None


def status(run: Run, cmd: CommandLine) -> str:
    _status(run, cmd.arg)
    return f"status: {run.ticket.status}"


def assign(run: Run, cmd: CommandLine) -> str:
    user = run.actor if cmd.arg.lower() in ("me", "я", "мне") else _agent(run, cmd.arg)
    desk.assign(run.ctx.session, run.services, run.ticket, user, run.actor)
    return f"assigned to {user.email}"


def take(run: Run, cmd: CommandLine) -> str:
    desk.assign(run.ctx.session, run.services, run.ticket, run.actor, run.actor)
    return f"assigned to {run.actor.email}"


def priority(run: Run, cmd: CommandLine) -> str:
    try:
        desk.set_criticality(run.ctx.session, run.services, run.ticket, cmd.arg, run.actor)
    except desk.InvalidValue as exc:
        raise _invalid(exc) from None
    return f"criticality: {run.ticket.criticality}"


def category(run: Run, cmd: CommandLine) -> str:
    try:
        desk.set_category(run.ctx.session, run.services, run.ticket, cmd.arg, run.actor)
    except desk.InvalidValue as exc:
        raise _invalid(exc) from None
    # Learnt at once: the next ticket like this one is proposed this category.
    if run.ticket.category:
        categories.learn(run.ctx.session, run.ticket, run.ticket.category)
    return f"category: {run.ticket.category}"


def canned(run: Run, cmd: CommandLine) -> str:
    run.extra_text.append(render_canned(run, cmd.arg))
    return f"canned answer {cmd.arg!r} added to the message"


def _address(arg: str) -> str:
    email = arg.strip().strip("<>").lower()
    if "@" not in email or " " in email:
        raise CommandFailed(f"not an email address: {arg!r}", "write #cc name@example.com")
    return email


def cc(run: Run, cmd: CommandLine) -> str:
    email = _address(cmd.arg)
    user = tickets.get_or_create_user(run.ctx.session, email)
    if not tickets.add_participant(run.ctx.session, run.ticket, user, run.actor.email):
        raise CommandFailed(f"{email} already receives this ticket's answers")
    return f"{email} now receives the answers in Cc"


def uncc(run: Run, cmd: CommandLine) -> str:
    email = _address(cmd.arg)
    user = tickets.find_user(run.ctx.session, email)
    removed = 0
    if user is not None:
        removed = run.ctx.session.execute(
            delete(Participant).where(
                Participant.ticket_id == run.ticket.id, Participant.user_id == user.id
            )
        ).rowcount  # type: ignore[attr-defined]
    if not removed:
        raise CommandFailed(f"{email} is not in this ticket's Cc")
    tickets.add_event(
        run.ctx.session, run.ticket, "participant_removed", actor=run.actor.email, old=email
    )
    return f"{email} no longer receives this ticket's answers"


def extra(run: Run, cmd: CommandLine) -> str:
    if not desk.set_extra(run.ctx.session, run.ticket, run.actor):
        return "already flagged as extra work"
    return "flagged as extra work"


def report(run: Run, cmd: CommandLine) -> str:
    raise CommandFailed(
        "#report is not a ticket's command",
        "send #report in a new mail to the support address (admins only)",
    )


ACTIONS: dict[str, Action] = {
    "report": report,
    "extra": extra,
    "note": note,
    "spam": spam,
    "ham": ham,
    "close": close,
    "reopen": reopen,
    "status": status,
    "assign": assign,
    "take": take,
    "priority": priority,
    "category": category,
    "canned": canned,
    "cc": cc,
    "uncc": uncc,
    "card": card,
    "faq": faq,
    "send": send,
    "for": new_ticket_only,
    "name": new_ticket_only,
}


def check_argument(spec: Spec, cmd: CommandLine) -> None:
    if spec.argument == "none" and cmd.arg:
        raise CommandFailed(f"#{spec.name} takes no argument", f"write {spec.usage}")
    if spec.argument == "value" and not cmd.arg:
        raise CommandFailed(f"#{spec.name} needs an argument", f"write {spec.usage}")
