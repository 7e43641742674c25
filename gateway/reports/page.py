"""The report as an HTML page (template `report`, ru/en): in a mail with the charts as
cid: parts, or standalone (`--html FILE`) with the charts embedded as data: URIs."""

from __future__ import annotations

import base64
from typing import Any

from gateway.outgoing.render import Rendered
from gateway.reports import output
from gateway.services import Services

EVENT = "report"


def context(report: dict[str, Any], images: dict[str, str], cfg_name: str) -> dict[str, Any]:
    """The template's variables: the report, its rows with durations for people, images."""
    rows = []
    for row, group in zip(output.rows(report), [*report["groups"], report["totals"]], strict=True):
        rows.append(
            {
                **row,
                "first_response_median": output.duration(group["first_response"]["median_s"]),
                "first_response_p90": output.duration(group["first_response"]["p90_s"]),
                "resolution_median": output.duration(group["resolution"]["median_s"]),
                "resolution_p90": output.duration(group["resolution"]["p90_s"]),
                "sla_percent": (
                    f"{100 * group['sla']['rate']:.0f}%"
                    if group["sla"]["rate"] is not None
                    else "-"
                ),
                "is_total": group is report["totals"],
            }
        )
    return {"report": report, "rows": rows, "images": images, "title": cfg_name}


def render(
    services: Services, report: dict[str, Any], images: dict[str, str], locale: str
) -> Rendered:
    cfg = services.cfg
    return services.renderer.render(
        EVENT,
        locale,
        helpdesk={"name": cfg.helpdesk.name, "address": cfg.helpdesk.address},
        recipient={"name": "", "email": "", "is_agent": True},
        **context(report, images, cfg.helpdesk.name),
    )


def standalone(
    services: Services, report: dict[str, Any], charts: dict[str, bytes], locale: str
) -> str:
    """The page with every chart inside it (one file to open or pass on)."""
    images = {
        name: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        for name, png in charts.items()
    }
    return render(services, report, images, locale).html


def _percent(rate: float | None) -> str:
    return f"{100 * rate:.0f}%" if rate is not None else "-"
