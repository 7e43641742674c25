"""`helpdesk report`: the service report for a period, as a table, JSON or CSV; charts as
PNG files (`--charts DIR`) and the HTML page with the charts inside (`--html FILE`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from gateway.cli.context import get_config
from gateway.cli.output import emit, format_option, to_json
from gateway.reports import chartdata, output, page
from gateway.reports.build import build
from gateway.reports.figures import BY, Period
from gateway.services import Services
from gateway.store.db import Database
from gateway.store.model import utcnow

DEFAULT_DAYS = 30


def parse_moment(text: str, option: str) -> dt.datetime:
    """YYYY-MM-DD (midnight UTC) or an ISO 8601 date and time (UTC unless it says)."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"not a date: {text!r} (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM)", param_hint=option
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@click.command("report")
@click.option(
    "--since", help="Start (YYYY-MM-DD or ISO time, UTC); default 30 days before --until."
)
@click.option("--until", help="End, exclusive (YYYY-MM-DD or ISO time, UTC); default now.")
@click.option("--by", type=click.Choice(BY), help="Group the figures.")
@click.option(
    "--charts",
    "charts_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the charts as PNG files into this directory.",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report as one HTML page, charts inside.",
)
@format_option
@click.pass_context
def report_cmd(
    ctx: click.Context,
    since: str | None,
    until: str | None,
    by: str | None,
    charts_dir: Path | None,
    html_file: Path | None,
    fmt: str,
) -> None:
    """The service report: tickets opened, closed and open at the end, first response and
    resolution times in business time, SLA met and breached, messages per resolution,
    ratings, reopenings and extra work."""
    cfg = get_config(ctx)
    end = parse_moment(until, "--until") if until else utcnow()
    start = parse_moment(since, "--since") if since else end - dt.timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise click.BadParameter("--since must be before --until", param_hint="--since")
    period = Period(start, end)
    database = Database.from_config(cfg)
    with database.read() as session:
        report = build(session, cfg, period, by)
        data = chartdata.collect(session, cfg, period) if charts_dir or html_file else None
    if data is not None:
        _draw(cfg.helpdesk.locale, Services.from_config(cfg), report, data, charts_dir, html_file)
    _print(report, fmt)


def _draw(
    locale: str,
    services: Services,
    report: dict[str, Any],
    data: dict[str, Any],
    charts_dir: Path | None,
    html_file: Path | None,
) -> None:
    from gateway.reports import charts  # matplotlib: only when a chart is asked for

    pngs = charts.render_all(data, locale)
    if charts_dir is not None:
        charts_dir.mkdir(parents=True, exist_ok=True)
        for name, png in pngs.items():
            (charts_dir / f"{name}.png").write_bytes(png)
    if html_file is not None:
        html_file.write_text(page.standalone(services, report, pngs, locale), encoding="utf-8")


def _print(report: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        click.echo(to_json(report))
        return
    if fmt == "csv":
        click.echo(output.to_csv(report), nl=False)
        return
    period = report["period"]
    rows = output.rows(report)
    for row, group in zip(rows, [*report["groups"], report["totals"]], strict=True):
        for part in ("first_response", "resolution"):
            row[f"{part}_median_s"] = output.duration(group[part]["median_s"])
            row[f"{part}_p90_s"] = output.duration(group[part]["p90_s"])
        if row["extra"]:
            row["extra"] = f"[bold red]{row['extra']}[/bold red]"
    emit(rows, output.columns(report), "table", title=f"{period['since']} — {period['until']}")
    extra = report["totals"]["extra_tickets"]
    if extra:
        click.secho("extra work: " + ", ".join(x["tag"] for x in extra), fg="red")
