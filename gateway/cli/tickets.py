"""`helpdesk tickets list/show`."""

from __future__ import annotations

import click

from gateway.cli.context import get_config
from gateway.cli.output import emit, format_option, to_json
from gateway.errors import UnknownTicket
from gateway.store.db import Database
from gateway.store.views import (
    TICKET_COLUMNS,
    TicketFilter,
    list_tickets,
    resolve_ticket,
    ticket_detail,
)


@click.group("tickets")
def tickets_group() -> None:
    """Tickets."""


@tickets_group.command("list")
@click.option("--id", "ticket_id", type=int)
@click.option("--status")
@click.option("--open/--closed", "is_open", default=None, help="Only open or only closed.")
@click.option("--indicator", type=click.Choice(["grey", "green", "red"]))
@click.option("--title", help="Text in the subject.")
@click.option("--text", help="Text in the subject or any message.")
@click.option("--requester", help="Requester's email.")
@click.option("--assignee", help="Assignee's email.")
@click.option("--category")
@click.option("--criticality")
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
    extra: bool,
    fmt: str,
) -> None:
    """List tickets matching every given filter."""
    cfg = get_config(ctx)
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
        extra,
    )
    database = Database.from_config(cfg)
    with database.read() as session:
        rows = list_tickets(session, f, cfg.helpdesk.tag_prefix)
    emit(rows, TICKET_COLUMNS, fmt, title="Tickets")


@tickets_group.command("show")
@click.argument("ref")
@click.option("--history", is_flag=True, help="Also every event of the ticket.")
@format_option
@click.pass_context
def show_cmd(ctx: click.Context, ref: str, history: bool, fmt: str) -> None:
    """Show a ticket (by id or tag) with its messages; hidden ones are marked."""
    cfg = get_config(ctx)
    database = Database.from_config(cfg)
    with database.read() as session:
        ticket = resolve_ticket(session, ref, cfg.helpdesk.tag_prefix)
        if ticket is None:
            raise UnknownTicket(f"no ticket {ref}")
        data = ticket_detail(session, ticket, cfg.helpdesk.tag_prefix, history)
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
