"""The report as rows: CSV (the CLI's and the mail's attachment) and the table columns."""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = (
    "key",
    "opened",
    "closed",
    "open",
    "first_response_median_s",
    "first_response_p90_s",
    "resolution_median_s",
    "resolution_p90_s",
    "sla_met",
    "sla_breached",
    "sla_rate",
    "messages_per_resolution",
    "reopened",
    "extra",
    "ratings",
)
AGENT_COLUMNS = ("assigned", "answered", "breaches", "mean_rating")


def flat(group: dict[str, Any]) -> dict[str, Any]:
    """One group (or the totals) as a flat row of COLUMNS (and the agent's columns)."""
    row = {
        "key": group.get("key", "(total)"),
        "opened": group["opened"],
        "closed": group["closed"],
        "open": group["open"],
        "first_response_median_s": group["first_response"]["median_s"],
        "first_response_p90_s": group["first_response"]["p90_s"],
        "resolution_median_s": group["resolution"]["median_s"],
        "resolution_p90_s": group["resolution"]["p90_s"],
        "sla_met": group["sla"]["met"],
        "sla_breached": group["sla"]["breached"],
        "sla_rate": group["sla"]["rate"],
        "messages_per_resolution": group["messages_per_resolution"],
        "reopened": group["reopened"],
        "extra": group["extra"],
        "ratings": "; ".join(f"{k}={v}" for k, v in sorted(group["ratings"].items())),
    }
    for column in AGENT_COLUMNS:
        if column in group:
            row[column] = group[column]
    return row


def rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The groups then the totals."""
    return [*(flat(g) for g in report["groups"]), flat(report["totals"])]


def columns(report: dict[str, Any]) -> list[str]:
    return [*COLUMNS, *(AGENT_COLUMNS if report.get("by") == "agent" else ())]


def to_csv(report: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    cols = columns(report)
    writer.writerow(cols)
    for row in rows(report):
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in cols])
    return buf.getvalue()


def duration(seconds: float | None) -> str:
    """A business duration for people: 45m, 3h 20m, 2d 4h (a day of 24 hours)."""
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"
