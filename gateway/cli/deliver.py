"""`helpdesk deliver`: the MTA pipe transport's command, with rt-mailgate's exit-code rule.

Postfix (and every sendmail-compatible MTA) bounces a message for good when the pipe
command exits with anything but 0 or 75 (EX_TEMPFAIL). So only a fault of the sender's
(a message too large, empty, or for a mailbox that is not ours) gives 65 or 67; every
other failure (a config typo, an unreadable config, a wrong argv in master.cf, the
database down, a bug) exits 75 and the MTA keeps the mail and tries again, while the
admin reads the reason in the MTA's log. That reason never carries SQL or its parameters
(mail text could be in them): only the driver's first line of complaint.
"""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

import click

from gateway.errors import ConfigError
from gateway.intake.pipe import EX_TEMPFAIL, read_limited, safe_reason
from gateway.intake.pipe import deliver as do_deliver

log = logging.getLogger(__name__)


def tempfail(reason: str) -> NoReturn:
    click.echo(f"deliver: {reason}; try again later", err=True)
    sys.exit(EX_TEMPFAIL)


class DeliverCommand(click.Command):
    """A wrong argv in master.cf is the admin's to fix: 75, never click's usage error 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.Exit:
            raise
        except click.ClickException as exc:
            tempfail(f"bad command line: {exc.format_message()}")


@click.command("deliver", cls=DeliverCommand)
@click.option("--recipient", "recipients", multiple=True, help="Envelope recipient (repeatable).")
@click.option("--sender", default="", help="Envelope sender (the MTA's return path).")
@click.argument("more_recipients", nargs=-1)
@click.pass_context
def deliver(
    ctx: click.Context, recipients: tuple[str, ...], sender: str, more_recipients: tuple[str, ...]
) -> None:
    """Read one raw message on stdin (MTA pipe transport) and store it durably.

    Recipients come as --recipient options, as arguments after them, or both (Postfix
    expands ${recipient} into one argument per recipient). Exit 0 = stored; 65 or 67 =
    the sender's fault (reason on stderr, the MTA bounces); 75 = anything else (the MTA
    retries).
    """
    try:
        _deliver(ctx, [*recipients, *more_recipients], sender)
    except SystemExit:
        raise
    except Exception as exc:  # whatever it is, the mail must not bounce for it
        log.debug("deliver failed", exc_info=True)
        tempfail(safe_reason(exc))


def _deliver(ctx: click.Context, recipients: list[str], sender: str) -> None:
    from gateway.cli.context import get_config
    from gateway.daemon.logs import setup_logging
    from gateway.store.db import Database

    try:
        cfg = get_config(ctx)
    except ConfigError as exc:
        tempfail("config error: " + "; ".join(exc.problems))
    setup_logging("WARNING")
    raw = read_limited(sys.stdin.buffer, cfg.smtp.max_message_size)
    try:
        database = Database.from_config(cfg)
    except Exception as exc:
        tempfail(f"database unavailable: {safe_reason(exc)}")
    try:
        result = do_deliver(cfg, database, raw, recipients, sender)
    finally:
        database.dispose()
    if result.code != 0:
        click.echo(f"deliver: {result.message}", err=True)
    sys.exit(result.code)
