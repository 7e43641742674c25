"""`helpdesk directory import/show/list`: the people and organisations the desk serves."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import func, select

from gateway.cli.context import get_config
from gateway.cli.output import emit, format_option, to_json
from gateway.directory import records
from gateway.directory.card import card, entry, organisation_of
from gateway.directory.importer import apply
from gateway.errors import HelpdeskError
from gateway.store.db import Database
from gateway.store.model import DirectoryEntry, User

SHOWN_CHANGES = 50


@click.group("directory")
def directory_group() -> None:
    """People and organisations: client cards for the agents."""


@directory_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--progress/--no-progress", default=None, help="Default: on a terminal.")
@click.pass_context
def import_cmd(
    ctx: click.Context, file: Path, dry_run: bool, fmt: str, progress: bool | None
) -> None:
    """Import a CSV, TOML or JSON file (again and again: a re-import changes nothing).

    Exit 0: imported; 1: the file cannot be read; 2: imported, but some rows were
    malformed (named by line) and left out.
    """
    parsed = records.read_file(file)
    database = Database.from_config(get_config(ctx))
    show = sys.stderr.isatty() if progress is None else progress
    with database.write() as session:
        if show:
            from rich.progress import Progress

            with Progress(transient=False) as bar:
                task = bar.add_task(f"importing {file.name}", total=len(parsed.records))
                report = apply(session, parsed.records, "cli", lambda n: bar.advance(task, n))
        else:
            report = apply(session, parsed.records, "cli")
        report.problems[:0] = parsed.problems
        if dry_run:
            session.rollback()
    if fmt == "json":
        click.echo(to_json({"dry_run": dry_run, **report.as_dict()}))
    else:
        verb = "would be " if dry_run else ""
        click.echo(
            f"{file}: {len(report.added)} {verb}added, {len(report.changed)} {verb}changed, "
            f"{report.unchanged} unchanged, {len(report.problems)} malformed"
        )
        for change in report.changed[:SHOWN_CHANGES]:
            click.echo(f"  changed {change.key}: {', '.join(change.fields)}")
        if len(report.changed) > SHOWN_CHANGES:
            click.echo(f"  ... and {len(report.changed) - SHOWN_CHANGES} more (--format json)")
        for problem in report.problems:
            click.echo(f"{file}: {problem.where}: {problem.reason} (left out)", err=True)
    if report.problems:
        sys.exit(2)


@directory_group.command("show")
@click.argument("email")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def show_cmd(ctx: click.Context, email: str, fmt: str) -> None:
    """A person's whole card, secret fields included (for the admin's terminal only)."""
    cfg = get_config(ctx)
    database = Database.from_config(cfg)
    email = email.strip().lower()
    with database.read() as session:
        person = entry(session, email)
        org = organisation_of(session, email, person)
        user = session.scalar(select(User).where(User.email == email))
        if person is None and org is None:
            raise HelpdeskError(f"{email} is not in the directory")
        data = {
            "email": email,
            "name": person.name if person else "",
            "fields": dict(person.fields) if person else {},
            "secret": list(person.secret) if person else [],
            "equipment": list(person.equipment) if person else [],
            "licences": list(person.licences) if person else [],
            "organisation": None
            if org is None
            else {
                "name": org.name,
                "domains": list(org.domains),
                "fields": dict(org.fields),
                "equipment": list(org.equipment),
                "licences": list(org.licences),
            },
            "open_tickets": card(session, user, None, cfg.helpdesk.tag_prefix)["open_tickets"]
            if user is not None
            else [],
        }
    if fmt == "json":
        click.echo(to_json(data))
        return
    click.echo(f"{data['name']} <{email}>" if data["name"] else email)
    for key, value in data["fields"].items():
        mark = " (secret)" if key in data["secret"] else ""
        click.echo(f"  {key}{mark}: {value}")
    for item in data["equipment"]:
        click.echo(f"  equipment: {item}")
    for item in data["licences"]:
        click.echo(f"  licence: {item}")
    if org is not None:
        o = data["organisation"]
        assert isinstance(o, dict)
        click.echo(f"  organisation: {o['name']} ({', '.join(o['domains'])})")
        for key, value in o["fields"].items():
            click.echo(f"    {key}: {value}")
    for t in data["open_tickets"]:
        click.echo(f"  open: {t['tag']} {t['subject']} ({t['status']})")


@directory_group.command("list")
@click.option("--kind", type=click.Choice(["person", "organisation"]))
@click.option("--limit", type=int, default=200, show_default=True)
@format_option
@click.pass_context
def list_cmd(ctx: click.Context, kind: str | None, limit: int, fmt: str) -> None:
    """Directory entries (secret fields not shown)."""
    database = Database.from_config(get_config(ctx))
    with database.read() as session:
        stmt = select(DirectoryEntry).order_by(DirectoryEntry.kind, DirectoryEntry.key)
        if kind:
            stmt = stmt.where(DirectoryEntry.kind == kind)
        total = session.scalar(select(func.count()).select_from(DirectoryEntry))
        rows = [
            {
                "kind": e.kind,
                "key": e.key,
                "name": e.name,
                "department": e.fields.get("department", ""),
                "phone": e.fields.get("phone", ""),
                "organisation": e.fields.get("organisation", "") or ", ".join(e.domains),
            }
            for e in session.scalars(stmt.limit(limit))
        ]
    emit(rows, ["kind", "key", "name", "department", "phone", "organisation"], fmt)
    if fmt == "table" and total and total > len(rows):
        click.echo(f"({len(rows)} of {total} shown; --limit)", err=True)
