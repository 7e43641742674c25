"""`helpdesk inbound`: every received message explains itself — its state, its ticket,
what the pipeline decided and why, its bounce verdict and the mail it caused."""

from __future__ import annotations

import datetime as dt
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

import click
from sqlalchemy import select

from gateway.cli.context import get_config
from gateway.cli.output import emit, format_option, iso, to_json
from gateway.errors import HelpdeskError
from gateway.parse.headers import decode_header_value, parse_addresses
from gateway.store.db import Database
from gateway.store.model import Bounce, Inbound, Outbox

STATES = ("new", "done", "ignored", "duplicate", "quarantined", "held")
COLUMNS = ("id", "received_at", "source", "state", "ticket", "from", "subject", "bounce")
# Only the header block is read for From and Subject: a listing never parses bodies.
_HEAD_BYTES = 64 * 1024
_HEADERS = BytesHeaderParser(policy=compat32)


@click.group("inbound")
def inbound_group() -> None:
    """Received messages: what became of each one, and why."""


def _since(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise HelpdeskError(f"--since: not an ISO date or time: {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _head(raw: bytes) -> tuple[str, str]:
    msg = _HEADERS.parsebytes(raw[:_HEAD_BYTES])
    froms = parse_addresses(str(msg.get("from", "")) or None)
    sender = froms[0].email if froms else ""
    subject = " ".join(decode_header_value(str(msg.get("subject", "")))[0].split())
    return sender, subject


def describe(row: Inbound, bounces: list[Bounce], outbox: list[int]) -> dict[str, Any]:
    """The JSON shape of one message (SPEC: `helpdesk inbound`)."""
    sender, subject = _head(row.raw)
    first = bounces[0] if bounces else None
    return {
        "id": row.id,
        "received_at": iso(row.received_at),
        "source": row.source,
        "state": row.state,
        "ticket": row.ticket_id,
        "message_id": row.message_id,
        "from": sender or row.mail_from.strip("<>"),
        "subject": subject,
        "trace": list(row.trace or []) + ([row.error.splitlines()[-1]] if row.error else []),
        "bounce": None
        if first is None
        else {
            "reason": first.reason,
            "status": first.status,
            "recipient": first.recipient,
            "hard": first.hard,
        },
        "outbox": outbox,
        # When `purge` dropped the raw bytes (null: kept).
        "raw_dropped_at": iso(row.raw_dropped_at) if row.raw_dropped_at else None,
    }


def _rows(
    database: Database,
    ids: list[int] | None,
    since: dt.datetime | None,
    state: str | None,
    source: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    with database.read() as session:
        stmt = select(Inbound).order_by(Inbound.id.desc()).limit(limit)
        if ids is not None:
            stmt = stmt.where(Inbound.id.in_(ids))
        if since is not None:
            stmt = stmt.where(Inbound.received_at >= since)
        if state is not None:
            stmt = stmt.where(Inbound.state == state)
        if source is not None:
            stmt = stmt.where(Inbound.source == source)
        rows = list(session.scalars(stmt))
        keys = [r.id for r in rows]
        bounces: dict[int, list[Bounce]] = {}
        for b in session.scalars(
            select(Bounce).where(Bounce.inbound_id.in_(keys)).order_by(Bounce.id)
        ):
            bounces.setdefault(b.inbound_id, []).append(b)
        caused: dict[int, list[int]] = {}
        for inbound_id, outbox_id in session.execute(
            select(Outbox.inbound_id, Outbox.id)
            .where(Outbox.inbound_id.in_(keys))
            .order_by(Outbox.id)
        ):
            if inbound_id is not None:
                caused.setdefault(inbound_id, []).append(outbox_id)
        return [describe(r, bounces.get(r.id, []), caused.get(r.id, [])) for r in rows]


@inbound_group.command("list")
@click.option("--since", help="Only messages received at or after this ISO date/time (UTC).")
@click.option("--state", type=click.Choice(STATES))
@click.option("--source", help="smtp, pipe, or an IMAP mailbox's name.")
@click.option("--limit", type=click.IntRange(1, 100000), default=100, show_default=True)
@format_option
@click.pass_context
def inbound_list(
    ctx: click.Context,
    since: str | None,
    state: str | None,
    source: str | None,
    limit: int,
    fmt: str,
) -> None:
    """Received messages, newest first."""
    database = Database.from_config(get_config(ctx))
    try:
        rows = _rows(database, None, _since(since), state, source, limit)
    finally:
        database.dispose()
    for row in rows:
        b = row["bounce"]
        row_bounce = f"{b['reason']} {b['status']}".strip() if b else ""
        row["bounce"] = row_bounce if fmt != "json" else b
    emit(rows, COLUMNS, fmt, title="Inbound")


@inbound_group.command("show")
@click.argument("message_id", type=int)
@format_option
@click.pass_context
def inbound_show(ctx: click.Context, message_id: int, fmt: str) -> None:
    """One received message with its trace, bounce verdict and the mail it caused."""
    database = Database.from_config(get_config(ctx))
    try:
        rows = _rows(database, [message_id], None, None, None, 1)
    finally:
        database.dispose()
    if not rows:
        raise HelpdeskError(f"no received message #{message_id}")
    row = rows[0]
    if fmt == "json":
        click.echo(to_json(row))
        return
    if fmt == "csv":
        emit([row], (*COLUMNS, "message_id", "trace", "outbox"), fmt)
        return
    for key in ("id", "received_at", "source", "state", "ticket", "message_id", "from", "subject"):
        click.echo(f"{key:12s} {row[key] if row[key] is not None else ''}")
    b = row["bounce"]
    verdict = "none"
    if b:
        kind = "hard" if b["hard"] else "soft"
        verdict = f"{b['reason']} {b['status']} {b['recipient']} ({kind})"
    click.echo(f"{'bounce':12s} {verdict}")
    click.echo(f"{'outbox':12s} {', '.join(str(i) for i in row['outbox']) or 'none'}")
    click.echo("trace:")
    for line in row["trace"]:
        click.echo(f"  {line}")
