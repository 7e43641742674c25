"""`helpdesk tickets list/show`; close/reopen/assign live in gateway.cli.ticket_actions.

Both read plain SQL through gateway.store.plain (`show`: gateway.store.detail; `list`:
gateway.store.listing, imported when it runs): on an SQLite file neither imports
SQLAlchemy, elsewhere neither imports the ORM.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import click

from gateway.cli.context import get_config
from gateway.cli.lazy import LazyGroup
from gateway.cli.output import emit, emit_stream, format_option, to_json
from gateway.errors import UnknownTicket
from gateway.store import detail, plain
from gateway.store.columns import DEFAULT_LIMIT, TICKET_COLUMNS

if TYPE_CHECKING:
    from gateway.store.listing import Page


@click.group(
    "tickets",
    cls=LazyGroup,
    lazy={name: f"gateway.cli.ticket_actions:{name}_cmd" for name in ("close", "reopen", "assign")},
)
def tickets_group() -> None:
    """Tickets."""


@tickets_group.command("list")
@click.option("--id", "ticket_id", type=int)
@click.option("--status")
@click.option("--open/--closed", "is_open", default=None, help="Only open or only closed.")
@click.option("--indicator", type=click.Choice(["grey", "green", "red"]))
@click.option("--title", help="Words in the subject (full-text, each a prefix).")
@click.option("--text", help="Words in the subject or any message (full-text, each a prefix).")
@click.option("--requester", help="Requester's email.")
@click.option("--assignee", help="Assignee's email.")
@click.option("--category")
@click.option("--criticality")
@click.option(
    "--updated-since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
    help="Only tickets changed at or after this time (UTC).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help=f"How many tickets, newest first  [default: {DEFAULT_LIMIT}].",
)
@click.option("--offset", type=click.IntRange(min=0), default=None, help="Skip this many.")
@click.option(
    "--before", "before_ref", metavar="ID", help="Only tickets older than this one (a cursor)."
)
@click.option("--all", "every", is_flag=True, help="Every match, streamed (json or csv).")
@click.option("--extra", is_flag=True, help="Only tickets flagged as extra work (#extra).")
@format_option
@click.pass_context
def list_cmd(
    ctx: click.Context,
    ticket_id: int | None,
    status: str | None,
    is_open: bool | None,
    indicator: str | None,
    title: str | None,
    text: str | None,
    requester: str | None,
    assignee: str | None,
    category: str | None,
    criticality: str | None,
    updated_since: dt.datetime | None,
    limit: int | None,
    offset: int | None,
    before_ref: str | None,
    every: bool,
    extra: bool,
    fmt: str,
) -> None:
    """List tickets matching every given filter, newest first, a page at a time."""
    if every and (limit is not None or offset is not None):
        raise click.UsageError("--all lists every match: it takes no --limit or --offset")
    if every and fmt == "table":
        raise click.UsageError("--all streams rows: use it with --format json or csv")
    from gateway.store import listing
    from gateway.store.views import TicketFilter

    cfg = get_config(ctx)
    prefix = cfg.helpdesk.tag_prefix
    before = _cursor(before_ref, prefix) if before_ref is not None else None
    f = TicketFilter(
        ticket_id,
        status,
        is_open,
        indicator,
        title,
        text,
        requester,
        assignee,
        category,
        criticality,
        updated_since.replace(tzinfo=dt.UTC) if updated_since else None,
        before,
        extra,
    )
    # One read transaction: the page and its count from one snapshot.
    with plain.reader(cfg.database_url, cfg.database.busy_timeout_seconds) as read:
        if every:
            emit_stream(listing.stream(read, f, prefix), TICKET_COLUMNS, fmt)
            return
        found = listing.page(read, f, prefix, limit=limit or DEFAULT_LIMIT, offset=offset or 0)
    emit(found.rows, TICKET_COLUMNS, fmt, title="Tickets")
    summary = _summary(found)
    if fmt == "table":
        click.echo(summary)
    elif found.more and sys.stderr.isatty():
        # JSON and CSV stay the bare listing on stdout; a person at the terminal is told.
        click.echo(summary, err=True)


def _cursor(ref: str, prefix: str) -> int:
    value = ref.strip()
    if value.upper().startswith(prefix.upper() + "-"):
        value = value[len(prefix) + 1 :]
    if not value.isdigit() or int(value) < 1:
        raise click.BadParameter(f"not a ticket id or tag: {ref!r}", param_hint="--before")
    return int(value)


def _summary(found: Page) -> str:
    shown = len(found.rows)
    if not found.more:
        return f"{shown} shown, no more."
    more = f"more than {found.more:,}" if found.capped else f"{found.more:,}"
    return (
        f"{shown} shown, {more} more: --before {found.next_before}"
        f" (or --offset {found.offset + shown}); --all --format json|csv for every one."
    )


@tickets_group.command("show")
@click.argument("ref")
@click.option("--history", is_flag=True, help="Also every event of the ticket.")
@format_option
@click.pass_context
def show_cmd(ctx: click.Context, ref: str, history: bool, fmt: str) -> None:
    """Show a ticket (by id or tag) with its messages; hidden ones are marked."""
    cfg = get_config(ctx)
    prefix = cfg.helpdesk.tag_prefix
    # Plain SQL: on an SQLite file without importing SQLAlchemy (gateway.store.plain).
    with plain.reader(cfg.database_url, cfg.database.busy_timeout_seconds) as fetch:
        ticket = detail.find(fetch, ref, prefix)
        if ticket is None:
            raise UnknownTicket(f"no ticket {ref}")
        data = detail.ticket_detail(fetch, ticket, prefix, history)
    if fmt == "json":
        click.echo(to_json(data))
        return
    if fmt == "csv":
        emit(data["messages"], ("from", "kind", "hidden", "created_at", "body"), fmt)
        return
    _print_ticket(data)


def _print_ticket(data: dict[str, object]) -> None:
    click.echo(f"[{data['tag']}] {data['subject']}")
    for key in (
        "status",
        "indicator",
        "criticality",
        "category",
        "requester",
        "assignee",
        "participants",
        "created_at",
        "updated_at",
        "sla_level",
        "response_due_at",
        "first_response_at",
        "resolve_due_at",
        "resolved_at",
        "linked_to",
        "continued_by",
    ):
        value = data.get(key)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value) or None
        click.echo(f"  {key}: {value if value is not None else '-'}")
    ratings = data.get("ratings")
    if isinstance(ratings, list):
        for r in ratings:
            comment = f" - {r['comment']}" if r["comment"] else ""
            click.echo(f"  rating: {r['at']} {r['label']}{comment}")
    messages = data["messages"]
    assert isinstance(messages, list)
    for m in messages:
        mark = " [hidden]" if m["hidden"] else ""
        click.echo(f"\n--- {m['created_at']} {m['from']} ({m['kind']}){mark}")
        click.echo(m["body"].rstrip())
        for a in m["attachments"]:
            click.echo(f"  [attachment] {a['filename']} ({a['content_type']}, {a['size']} bytes)")
    events = data.get("events")
    if isinstance(events, list):
        click.echo("\nHistory:")
        for e in events:
            change = " -> ".join(str(v) for v in (e["old"], e["new"]) if v is not None)
            click.echo(f"  {e['at']} {e['actor']} {e['kind']} {change}")
