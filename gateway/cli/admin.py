"""`helpdesk users`, `quarantine` and `outbox`: the administrator's views and tools."""

from __future__ import annotations

import click
from sqlalchemy import select

from gateway.cli.context import get_config
from gateway.cli.output import emit, format_option, iso
from gateway.errors import HelpdeskError
from gateway.outgoing import outbox
from gateway.settings.config import ROLES
from gateway.store.db import Database
from gateway.store.model import Inbound, Outbox, User, utcnow


@click.group("users")
def users_group() -> None:
    """People the helpdesk knows: requesters, agents, admins."""


@users_group.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", default="")
@click.option("--group", default="")
@click.pass_context
def users_add(ctx: click.Context, email: str, role: str, name: str, group: str) -> None:
    """Add a user or change an existing user's role, name and group."""
    if "@" not in email:
        raise HelpdeskError(f"not an email address: {email}")
    database = Database.from_config(get_config(ctx))
    with database.write() as session:
        user = session.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            user = User(email=email.lower(), name=name, role=role, group=group)
            session.add(user)
            verb = "added"
        else:
            user.role = role
            user.name = name or user.name
            user.group = group or user.group
            verb = "updated"
    click.echo(f"{verb} {email.lower()} ({role})")


@users_group.command("list")
@click.option("--role", type=click.Choice(ROLES))
@format_option
@click.pass_context
def users_list(ctx: click.Context, role: str | None, fmt: str) -> None:
    """List users."""
    database = Database.from_config(get_config(ctx))
    with database.read() as session:
        query = select(User).order_by(User.id)
        if role:
            query = query.where(User.role == role)
        rows = [
            {
                "id": u.id,
                "email": u.email,
                "name": u.name,
                "role": u.role,
                "group": u.group,
                "created_at": iso(u.created_at),
            }
            for u in session.scalars(query)
        ]
    emit(rows, ("id", "email", "name", "role", "group", "created_at"), fmt, title="Users")


@click.group("quarantine")
def quarantine_group() -> None:
    """Held messages: ones processing failed on, and ones held back on purpose."""


@quarantine_group.command("list")
@format_option
@click.pass_context
def quarantine_list(ctx: click.Context, fmt: str) -> None:
    """List held messages with the stage and the reason."""
    database = Database.from_config(get_config(ctx))
    with database.read() as session:
        rows = []
        for row in session.scalars(
            select(Inbound).where(Inbound.state.in_(("quarantined", "held"))).order_by(Inbound.id)
        ):
            error = (row.error or "").strip().splitlines()
            rows.append(
                {
                    "id": row.id,
                    "received_at": iso(row.received_at),
                    "source": row.source,
                    "state": row.state,
                    "from": row.mail_from,
                    "size": row.size,
                    "stage": row.stage,
                    # Held mail has no error: its trace ends with why it was held.
                    "reason": error[-1] if error else (row.trace[-1] if row.trace else ""),
                    "error": row.error,
                    "trace": row.trace,
                }
            )
    emit(
        rows,
        ("id", "received_at", "state", "source", "from", "stage", "reason"),
        fmt,
        title="Quarantine",
    )


@quarantine_group.command("release")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.pass_context
def quarantine_release(ctx: click.Context, ids: tuple[int, ...]) -> None:
    """Put held messages back in the queue; the running daemon processes them again.

    Mail held as spam is learned as ham and goes through as a ticket whatever its score.
    """
    from gateway.services import Services
    from gateway.spam import release

    cfg = get_config(ctx)
    database = Database.from_config(cfg)
    services = Services.from_config(cfg)
    with database.write() as session:
        for row_id in ids:
            row = session.get(Inbound, row_id)
            if row is None or row.state not in ("quarantined", "held"):
                raise HelpdeskError(f"message #{row_id} is not in quarantine")
            if row.state == "held":
                release(session, services, row, "cli")
                continue
            row.trace = [*row.trace, f"released at {iso(utcnow())}"]
            row.state, row.attempts, row.stage, row.error = "new", 0, None, None
    click.echo(f"released {len(ids)} message(s)")


@click.group("outbox")
def outbox_group() -> None:
    """Outgoing mail."""


@outbox_group.command("list")
@click.option("--state", type=click.Choice(list(outbox.STATES)))
@click.option("--limit", type=int, default=200, show_default=True)
@format_option
@click.pass_context
def outbox_list(ctx: click.Context, state: str | None, limit: int, fmt: str) -> None:
    """Queued, held, sent and failed mail with the last SMTP reply."""
    database = Database.from_config(get_config(ctx))
    with database.read() as session:
        rows = [
            {
                "id": o.id,
                "created_at": iso(o.created_at),
                "kind": o.kind,
                "ticket": o.ticket_id,
                "to": ", ".join(o.rcpt_to),
                "subject": o.subject,
                "state": o.state,
                "attempts": o.attempts,
                "next_attempt_at": iso(o.next_attempt_at),
                "sent_at": iso(o.sent_at),
                "last_reply": o.last_reply,
            }
            for o in outbox.list_rows(session, state, limit)
        ]
    emit(
        rows,
        ("id", "created_at", "kind", "ticket", "to", "state", "attempts", "last_reply"),
        fmt,
        title="Outbox",
    )


@outbox_group.command("retry")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.pass_context
def outbox_retry(ctx: click.Context, ids: tuple[int, ...]) -> None:
    """Queue failed or held mail again; the daemon sends it at once.

    Held mail is what a ticket's relay limit stopped (a suspected loop): releasing it is
    the agents' confirmation; the held copies of the same mail to its other recipients
    go with it.
    """
    database = Database.from_config(get_config(ctx))
    with database.write() as session:
        for row_id in ids:
            row = session.get(Outbox, row_id)
            if row is None or row.state not in ("failed", "held"):
                raise HelpdeskError(f"outgoing mail #{row_id} has not failed (nor is it held)")
            outbox.requeue(session, row_id)
    click.echo(f"queued {len(ids)} mail(s) again")


@outbox_group.command("release")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.pass_context
def outbox_release(ctx: click.Context, ids: tuple[int, ...]) -> None:
    """Send held answers (held because another agent had answered first), each with its
    held copies to the other recipients."""
    from gateway.desk import double
    from gateway.store.model import Ticket

    database = Database.from_config(get_config(ctx))
    with database.write() as session:
        for row_id in ids:
            row = session.get(Outbox, row_id)
            if row is None or row.state != "held":
                raise HelpdeskError(f"outgoing mail #{row_id} is not held")
            ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
            double.release(session, ticket, row, "cli")
    click.echo(f"released {len(ids)} held mail(s); the daemon sends them at once")


def _add_remove() -> None:
    # Their own modules (one job each: anonymising a person; suspended addresses),
    # registered under `users`.
    from gateway.cli.suspended import users_suspended, users_unsuspend
    from gateway.cli.user_remove import users_remove

    users_group.add_command(users_remove)
    users_group.add_command(users_suspended)
    users_group.add_command(users_unsuspend)


_add_remove()
