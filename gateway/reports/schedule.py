"""The scheduled report mail (`[reports] schedule`, a cron expression in `timezone`).

The trigger is APScheduler 3's CronTrigger in the report's zone; `next_fires` computes its
times from a given moment, and `run` takes the moment, so both are tested with the clock
set rather than waited for.

Several daemons on one database send it once: one of them runs each scheduled time
(gateway.store.job_runs), and the job records the last sending in the `kv` table, read
under a row lock (PostgreSQL), skipping a run within the minute of one already sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.reports import days
from gateway.reports.figures import Period
from gateway.reports.mailing import recipients, send_report
from gateway.services import Services
from gateway.settings import cron
from gateway.settings.config import Config
from gateway.store import job_runs
from gateway.store.db import Database
from gateway.store.model import KeyValue, utcnow

log = logging.getLogger(__name__)

JOB_ID = "report-mail"
STATE_KEY = "reports.mail"
_GAP = dt.timedelta(seconds=50)


def trigger(cfg: Config) -> Any:
    """The APScheduler 3 cron trigger of `[reports] schedule` in the report's zone (the
    configured one, else the server's by name, so that "08:00" stays 08:00 across a DST
    change); None when no report is scheduled."""
    if not cfg.reports.schedule:
        return None
    return cron.trigger(cfg.reports.schedule, timezone=days.zone(cfg))


def next_fires(cfg: Config, now: dt.datetime, count: int = 1) -> list[dt.datetime]:
    """The next `count` moments the scheduled report goes out after `now` (aware)."""
    cron = trigger(cfg)
    found: list[dt.datetime] = []
    previous: dt.datetime | None = None
    moment = now
    while cron is not None and len(found) < count:
        fire = cron.get_next_fire_time(previous, moment)
        if fire is None:
            break
        found.append(fire)
        previous, moment = fire, fire + dt.timedelta(microseconds=1)
    return found


def schedule(
    scheduler: Any, db: Database, services: Services, on_queued: Callable[[], None] | None = None
) -> None:
    cron = trigger(services.cfg)
    if cron is None:
        return
    scheduler.add_job(
        run, cron, args=[db, services, on_queued], id=JOB_ID, coalesce=True, max_instances=1
    )


def _last(session: Session) -> dt.datetime | None:
    query = select(KeyValue).where(KeyValue.key == STATE_KEY)
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    row = session.scalar(query)
    at = row.value.get("at") if row is not None else None
    return dt.datetime.fromisoformat(str(at)) if at else None


def send_scheduled(session: Session, services: Services, now: dt.datetime) -> int:
    """Send the scheduled report unless another daemon just did; mails queued."""
    last = _last(session)
    if last is not None and now - last < _GAP:
        return 0
    period = Period(now - dt.timedelta(days=services.cfg.reports.period_days), now)
    queued = send_report(session, services, recipients(session, services), period, now)
    value: dict[str, object] = {"at": now.isoformat(), "mails": len(queued)}
    row = session.get(KeyValue, STATE_KEY)
    if row is None:
        session.add(KeyValue(key=STATE_KEY, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
    log.info("report mail: %d queued", len(queued))
    return len(queued)


def run(
    db: Database,
    services: Services,
    on_queued: Callable[[], None] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """The job: the report of the `period_days` before `now` (the scheduler passes none:
    the current time) to its recipients, in one transaction."""
    try:
        with db.write() as session:
            at = now or utcnow()
            if not job_runs.take_run(session, JOB_ID, at, _GAP):
                return 0
            sent = send_scheduled(session, services, at)
    except Exception:
        log.exception("the scheduled report failed; the next scheduled time tries again")
        return 0
    if sent and on_queued is not None:
        on_queued()
    return sent
