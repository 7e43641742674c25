"""The report by mail: HTML with the charts inline (cid:), the table attached as CSV, in
each recipient's language; queued through the outbox like every other mail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from gateway.desk import roles
from gateway.outgoing import bulk
from gateway.reports import chartdata, output, page
from gateway.reports.build import build
from gateway.reports.figures import Period
from gateway.services import Services
from gateway.store import tickets
from gateway.store.model import User

MID_PREFIX = "hd.report."


def recipients(session: Session, services: Services) -> list[User]:
    """`[reports] recipients`, else every admin."""
    wanted = services.cfg.reports.recipients
    if not wanted:
        return roles.admins(session, services.cfg)
    return [tickets.get_or_create_user(session, email) for email in wanted]


def send_report(
    session: Session,
    services: Services,
    people: list[User],
    period: Period,
    now: dt.datetime,
    *,
    by: str | None = "agent",
    in_reply_to: str | None = None,
) -> list[bulk.Queued]:
    """Queue the report of `period` to `people`; one chart set for all of them per language."""
    from gateway.reports import charts  # matplotlib: only when a report is drawn

    report = build(session, services.cfg, period, by)
    data = chartdata.collect(session, services.cfg, period)
    csv_bytes = output.to_csv(report).encode("utf-8")
    name = f"report-{period.since:%Y-%m-%d}-{period.until:%Y-%m-%d}.csv"
    queued: list[bulk.Queued] = []
    default = services.cfg.helpdesk.locale
    by_locale: dict[str, list[User]] = {}
    for user in people:
        by_locale.setdefault(user.locale or default, []).append(user)
    for locale, users in by_locale.items():
        pngs = charts.render_all(data, locale)
        inline = [(f"{n}.png", "image/png", png, f"{n}@report") for n, png in pngs.items()]
        images = {n: f"cid:{n}@report" for n in pngs}
        context: dict[str, Any] = page.context(report, images, services.cfg.helpdesk.name)
        queued += bulk.queue_to(
            session,
            services,
            users,
            bulk.Bulk(
                event=page.EVENT,
                context=context,
                attachments=[(name, "text/csv", csv_bytes)],
                inline=inline,
                in_reply_to=in_reply_to,
                mid_prefix=MID_PREFIX,
            ),
            now,
        )
    return queued
