"""Listings for the CLI in the three SPEC formats: table (gateway.cli.table), json, csv."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click

from gateway.store.formats import iso as iso

FORMATS = ("table", "json", "csv")
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_default)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return iso(value) or ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=_default)
    return str(value)


def emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, title: str = "") -> None:
    """Print `rows` in `fmt`; json prints every key, table and csv the given columns."""
    if fmt == "json":
        click.echo(to_json(list(rows)))
        return
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        click.echo(buf.getvalue(), nl=False)
        return
    from gateway.cli import table

    lines = [[_cell(row.get(c)) for c in columns] for row in rows]
    click.echo(table.render(columns, lines, title, table.terminal_room()), nl=False)


def emit_stream(rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str) -> int:
    """Print `rows` as json or csv while they come, holding one at a time; the count."""
    out = sys.stdout
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
            count += 1
        out.flush()
        return count
    out.write("[")
    for row in rows:
        item = json.dumps(row, ensure_ascii=False, indent=2, default=_default)
        out.write(("," if count else "") + "\n  " + item.replace("\n", "\n  "))
        count += 1
    out.write("\n]\n" if count else "]\n")
    out.flush()
    return count
