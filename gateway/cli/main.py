"""The `helpdesk` command line (click): the daemon, the MTA pipe, the schema, the config."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from gateway.cli.context import get_config
from gateway.cli.lazy import LazyGroup, load
from gateway.errors import ConfigError, HelpdeskError
from gateway.settings import config as config_mod

# Command groups imported only when named (start-up time: `helpdesk tickets show` should
# not pay for the directory's CSV reader, rich's progress bar, the IMAP client or the
# spam filter).
LAZY_GROUPS = {
    "tickets": "gateway.cli.tickets:tickets_group",
    "users": "gateway.cli.admin:users_group",
    "quarantine": "gateway.cli.admin:quarantine_group",
    "outbox": "gateway.cli.admin:outbox_group",
    "imap": "gateway.cli.imap:imap",
    "spam": "gateway.cli.spam:spam_group",
    "directory": "gateway.cli.directory:directory_group",
    "inbound": "gateway.cli.inbound:inbound_group",
    "deliver": "gateway.cli.deliver:deliver",
    "purge": "gateway.cli.maintenance:purge",
    "status": "gateway.cli.status:status",
    "report": "gateway.cli.report:report_cmd",
    "escalation": "gateway.cli.escalation:escalation_group",
}
# Commands of one module that join a group of another, added when the group is loaded.
LAZY_ADDITIONS = {
    "quarantine": ("gateway.cli.maintenance:quarantine_discard",),
}


def _is_database_error(exc: BaseException) -> bool:
    """Whether `exc` is the database driver's error: SQLAlchemy's DBAPIError, or sqlite3's
    or psycopg's own where a command read without SQLAlchemy (gateway.store.plain).

    Looked up in sys.modules rather than imported: a command that never touched the
    database cannot raise it, and importing SQLAlchemy costs start-up time.
    """
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, sa_exc.DBAPIError):
        return True
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(exc, sqlite3.Error):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


def _hint(reason: str) -> str:
    """What to do about the database error `reason`."""
    # A schema older than the code: a table or a column it names is missing (SQLite's
    # words, then PostgreSQL's).
    sqlite_old = reason.startswith(("no such table", "no such column"))
    pg_old = reason.startswith(("relation ", "column ")) and "does not exist" in reason
    if sqlite_old or pg_old:
        return " (run `helpdesk db upgrade`)"
    if "database is locked" in reason:
        # Past busy_timeout_seconds of waiting: a long write (a backup, an upgrade).
        return " (another process holds it: try again, or raise [database] busy_timeout_seconds)"
    # PostgreSQL's (libpq's) words for a server down, a login refused, no such database.
    if "Connection refused" in reason or "No such file or directory" in reason:
        return " (is the PostgreSQL server running? check the host and port of [database] url)"
    if "password authentication failed" in reason or "no password supplied" in reason:
        return " (check the user and password of [database] url)"
    if reason.endswith("does not exist") and "database " in reason:
        return " (create the database, then `helpdesk db upgrade`; or correct [database] url)"
    return ""


class HelpdeskGroup(LazyGroup):
    """Turns the product's own errors into one line on stderr and a non-zero exit; loads
    a command (group) when it is called."""

    def loaded(self, cmd_name: str) -> click.Command:
        command = super().loaded(cmd_name)
        if isinstance(command, click.Group):
            for extra in LAZY_ADDITIONS.get(cmd_name, ()):
                command.add_command(load(extra))
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            for problem in exc.problems:
                click.echo(f"config error: {problem}", err=True)
            sys.exit(1)
        except HelpdeskError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except Exception as exc:
            if not _is_database_error(exc):
                raise
            # The database is down, unreachable, locked or not set up: the admin's to fix.
            orig = getattr(exc, "orig", None)
            # The first line: psycopg's own adds the statement and a caret under it.
            lines = str(orig if orig else exc).strip().splitlines()
            reason = lines[0] if lines else type(exc).__name__
            click.echo(f"error: database: {reason}{_hint(reason)}", err=True)
            sys.exit(1)


@click.group(cls=HelpdeskGroup, lazy=LAZY_GROUPS)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Config file (default: $HELPDESK_CONFIG, else ./helpdesk.toml).",
)
@click.version_option(package_name="helpdesk")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """helpdesk: an email-driven IT service desk."""
    # Mail is private: whatever the product creates (database, WAL, secret, outbox,
    # backups) is its owner's only, whatever umask the caller (an MTA, cron) left.
    os.umask(0o077)
    ctx.meta["helpdesk.config_path"] = config_path or config_mod.default_config_path()
    # `deliver` loads it itself: its config errors must exit 75, not 1.
    if ctx.invoked_subcommand not in (None, "check-config", "deliver"):
        ctx.obj = get_config(ctx)


@main.command("check-config")
@click.pass_context
def check_config(ctx: click.Context) -> None:
    """Validate the config; print every problem with its key."""
    path = ctx.find_root().meta["helpdesk.config_path"]
    try:
        cfg = config_mod.load(path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"{path}: {problem}", err=True)
        sys.exit(1)
    from gateway.cli.checks import deep_checks, warnings

    for warning in warnings(cfg):
        click.echo(f"{path}: warning: {warning}")
    problems = deep_checks(cfg)
    for problem in problems:
        click.echo(f"{path}: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo(f"{path}: OK")
    # What SMTP accepts (each also in its `+detail` form): a routed address that is not
    # listed here would be refused with 550.
    click.echo("accepted addresses: " + ", ".join(cfg.intake_addresses))


@main.group(cls=HelpdeskGroup, lazy={"backup": "gateway.cli.maintenance:db_backup"})
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create or migrate the schema (Alembic)."""
    from gateway.store.db import upgrade

    cfg = get_config(ctx)
    upgrade(cfg.database_url)
    click.echo("database schema is up to date")


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """The daemon: SMTP intake, IMAP pollers, scheduler, outbox sender."""
    from gateway.cli.checks import secret_file_problems, startup_checks
    from gateway.daemon.logs import configure_from
    from gateway.daemon.supervisor import run_daemon

    cfg = get_config(ctx)
    configure_from(cfg)
    # The processing child signs every reply address: without a usable key it would
    # crash-loop while intake keeps answering 250, so the daemon does not start at all;
    # the same for templates and the database.
    problems = list(dict.fromkeys(startup_checks(cfg) + secret_file_problems(cfg)))
    for problem in problems:
        click.echo(f"cannot start: {problem}", err=True)
    if problems:
        sys.exit(1)
    sys.exit(run_daemon(cfg))
