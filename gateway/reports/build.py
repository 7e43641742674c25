"""The report as one dictionary: the JSON shape of `helpdesk report --format json`.

`{period: {since, until}, totals: {...}, groups: [{key, opened, closed, open,
first_response: {median_s, p90_s, mean_s}, resolution: {...}, sla: {met, breached, rate},
messages_per_resolution, ratings: {GRADE: n}, reopened, extra, ...}]}`; grouped by agent,
each group also has assigned, answered, breaches and mean_rating. Keys are only ever added.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gateway.reports.figures import Figures, Period, Times
from gateway.settings.config import Config
from gateway.store.views import iso


def _group(
    key: str,
    f: dict[str, Any],
    first: Times,
    resolution: Times,
) -> dict[str, Any]:
    opened, extra = f["opened"].get(key, (0, 0))
    closed, breached, with_sla = f["closed"].get(key, (0, 0, 0))
    met = with_sla - breached
    messages = f["messages"].get(key, 0)
    return {
        "key": key,
        "opened": opened,
        "closed": closed,
        "open": f["open"].get(key, 0),
        "first_response": first.as_dict(),
        "resolution": resolution.as_dict(),
        "sla": {
            "met": met,
            "breached": breached,
            "rate": round(met / with_sla, 4) if with_sla else None,
        },
        "messages_per_resolution": round(messages / closed, 2) if closed else None,
        "ratings": f["ratings"].get(key, {}),
        "reopened": f["reopened"].get(key, 0),
        "extra": extra,
    }


def build(session: Session, cfg: Config, period: Period, by: str | None) -> dict[str, Any]:
    """Compute the report of `period` grouped `by` (None: totals only)."""
    figures = Figures(session, cfg, period, by)
    f: dict[str, Any] = {
        "opened": figures.opened(),
        "closed": figures.closed(),
        "open": figures.open_at_end(),
        "messages": figures.messages_of_resolved(),
        "ratings": figures.ratings(),
        "reopened": figures.reopened(),
    }
    first = figures.first_responses()
    resolution = figures.resolutions()
    keys = sorted(
        set(f["opened"]) | set(f["closed"]) | set(f["open"]) | set(first) | set(resolution)
    )
    groups = [_group(k, f, first.get(k, Times()), resolution.get(k, Times())) for k in keys]
    if by == "agent":
        answered = figures.answered_by()
        grades = figures.mean_grades()
        for g in groups:
            g["assigned"] = g["opened"]
            g["answered"] = answered.get(g["key"], 0)
            g["breaches"] = g["sla"]["breached"]
            g["mean_rating"] = grades.get(g["key"])
    if by is None:
        total_first, total_resolution = first.get("", Times()), resolution.get("", Times())
    else:
        total_first, total_resolution = figures.total_times()
    totals = _totals(groups, total_first, total_resolution, sum(f["messages"].values()))
    totals["extra_tickets"] = figures.extra_tickets()
    return {
        "period": {"since": iso(period.since), "until": iso(period.until)},
        "by": by,
        "totals": totals,
        "groups": groups if by is not None else [],
    }


def _totals(
    groups: list[dict[str, Any]],
    first: Times,
    resolution: Times,
    messages: int,
) -> dict[str, Any]:
    """The sums of the groups (each measure partitions its rows); durations over all."""
    closed = sum(g["closed"] for g in groups)
    met = sum(g["sla"]["met"] for g in groups)
    breached = sum(g["sla"]["breached"] for g in groups)
    ratings: dict[str, int] = {}
    for g in groups:
        for label, n in g["ratings"].items():
            ratings[label] = ratings.get(label, 0) + n
    return {
        "opened": sum(g["opened"] for g in groups),
        "closed": closed,
        "open": sum(g["open"] for g in groups),
        "first_response": first.as_dict(),
        "resolution": resolution.as_dict(),
        "sla": {
            "met": met,
            "breached": breached,
            "rate": round(met / (met + breached), 4) if met + breached else None,
        },
        "messages_per_resolution": round(messages / closed, 2) if closed else None,
        "ratings": ratings,
        "reopened": sum(g["reopened"] for g in groups),
        "extra": sum(g["extra"] for g in groups),
    }
