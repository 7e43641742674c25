"""The `helpdesk` command line (click): the daemon, the MTA pipe, the schema, the config."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import DBAPIError

from gateway.cli.context import get_config
from gateway.daemon.logs import setup_logging
from gateway.errors import ConfigError, HelpdeskError
from gateway.settings import config as config_mod

# Command groups imported only when named (start-up time: `helpdesk tickets show` should
# not pay for the directory's CSV reader or rich's progress bar).
LAZY_GROUPS = {"directory": "gateway.cli.directory:directory_group"}


class HelpdeskGroup(click.Group):
    """Turns the product's own errors into one line on stderr and a non-zero exit."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_GROUPS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_GROUPS and cmd_name not in self.commands:
            import importlib

            module, _, attr = LAZY_GROUPS[cmd_name].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

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
        except DBAPIError as exc:
            # The database is down, unreachable, locked or not set up: the admin's to fix.
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            hint = " (run `helpdesk db upgrade`)" if "no such table" in reason else ""
            click.echo(f"error: database: {reason}{hint}", err=True)
            sys.exit(1)


@click.group(cls=HelpdeskGroup)
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
    ctx.meta["helpdesk.config_path"] = config_path or config_mod.default_config_path()
    if ctx.invoked_subcommand not in (None, "check-config"):
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
    from gateway.cli.checks import deep_checks

    problems = deep_checks(cfg)
    for problem in problems:
        click.echo(f"{path}: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo(f"{path}: OK")


@main.group()
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
@click.option("--recipient", "recipients", multiple=True, help="Envelope recipient (repeatable).")
@click.option("--sender", default="", help="Envelope sender (the MTA's return path).")
@click.pass_context
def deliver(ctx: click.Context, recipients: tuple[str, ...], sender: str) -> None:
    """Read ONE raw message on stdin (MTA pipe transport) and store it durably.

    Exit 0 = stored; 75 = try again later; 65 or 67 = rejected (reason on stderr).
    """
    from gateway.intake.pipe import EX_TEMPFAIL, read_limited
    from gateway.intake.pipe import deliver as do_deliver
    from gateway.store.db import Database

    cfg = get_config(ctx)
    setup_logging("WARNING")
    raw = read_limited(sys.stdin.buffer, cfg.smtp.max_message_size)
    try:
        database = Database.from_config(cfg)
    except Exception as exc:
        click.echo(f"deliver: database unavailable: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)
    try:
        result = do_deliver(cfg, database, raw, list(recipients), sender)
    finally:
        database.dispose()
    if result.code != 0:
        click.echo(f"deliver: {result.message}", err=True)
    sys.exit(result.code)


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """The daemon: SMTP intake, IMAP pollers, scheduler, outbox sender."""
    from gateway.daemon.supervisor import run_daemon

    cfg = get_config(ctx)
    setup_logging(cfg.logging.level)
    sys.exit(run_daemon(cfg))


def _register() -> None:
    from gateway.cli.admin import outbox_group, quarantine_group, users_group
    from gateway.cli.imap import imap
    from gateway.cli.spam import spam_group
    from gateway.cli.tickets import tickets_group

    for group in (tickets_group, users_group, quarantine_group, outbox_group, imap, spam_group):
        main.add_command(group)


_register()
