"""`helpdesk tickets close/reopen/assign ID`: what an agent's `#` commands do, from the shell.

The change is made in the name of an agent or admin (`--by`, default the first admin of
`[[agents]]`), with the same events and notices as the mail commands; the daemon's
outbox sends what is queued.
"""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.cli.context import get_config
from gateway.errors import HelpdeskError, UnknownTicket, UnknownUser
from gateway.settings.config import AGENT_ROLES, Config
from gateway.store.db import Database
from gateway.store.model import Ticket, User
from gateway.store.views import resolve_ticket

by_option = click.option(
    "--by", "by", default="", help="The agent or admin acting (default: the first admin)."
)


def _actor(session: Session, cfg: Config, email: str) -> User:
    if not email:
        admins = [a.email for a in cfg.agents if a.role == "admin"]
        if not admins:
            raise HelpdeskError("no admin in [[agents]]: name the acting agent with --by")
        email = admins[0]
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.role not in AGENT_ROLES:
        raise UnknownUser(f"{email} is not an agent or admin")
    return user


def _ticket(session: Session, cfg: Config, ref: str) -> Ticket:
    ticket = resolve_ticket(session, ref, cfg.helpdesk.tag_prefix)
    if ticket is None:
        raise UnknownTicket(f"no ticket {ref}")
    return ticket


def _run(ctx: click.Context, ref: str, by: str, what: str, assignee: str = "") -> None:
    # Imported here: Services brings Jinja and the spam store, which `tickets show` and
    # `tickets list` (loaded with this group) do not need.
    from gateway.desk import actions
    from gateway.services import Services

    cfg = get_config(ctx)
    database = Database.from_config(cfg)
    services = Services.from_config(cfg)
    try:
        with database.write() as session:
            actor = _actor(session, cfg, by)
            ticket = _ticket(session, cfg, ref)
            if what == "close":
                actions.close(session, services, ticket, actor)
            elif what == "reopen":
                actions.reopen(session, services, ticket, actor)
            else:
                target = None if assignee in ("", "-") else _actor(session, cfg, assignee)
                actions.assign(session, services, ticket, target, actor)
            status = ticket.status
            tag = services.tag(ticket.id)
            who = ticket.assignee.email if ticket.assignee is not None else "nobody"
    finally:
        database.dispose()
    click.echo(f"{tag}: {status}, assigned to {who}")


@click.command("close")
@click.argument("ref")
@by_option
@click.pass_context
def close_cmd(ctx: click.Context, ref: str, by: str) -> None:
    """Close ticket REF (id or tag), with its event, as #close does."""
    _run(ctx, ref, by, "close")


@click.command("reopen")
@click.argument("ref")
@by_option
@click.pass_context
def reopen_cmd(ctx: click.Context, ref: str, by: str) -> None:
    """Reopen closed ticket REF."""
    _run(ctx, ref, by, "reopen")


@click.command("assign")
@click.argument("ref")
@click.argument("agent")
@by_option
@click.pass_context
def assign_cmd(ctx: click.Context, ref: str, agent: str, by: str) -> None:
    """Assign ticket REF to AGENT (an email; "-" unassigns); the agent is told."""
    _run(ctx, ref, by, "assign", agent)
