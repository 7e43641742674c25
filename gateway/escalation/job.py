"""The escalation check as a job of the daemon's scheduler (`[escalation] check_seconds`).

With several daemons on one database one of them runs each tick (gateway.store.job_runs).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from gateway.escalation.check import CheckResult, run_check
from gateway.services import Services
from gateway.store import job_runs
from gateway.store.db import Database
from gateway.store.model import utcnow

log = logging.getLogger(__name__)

JOB_ID = "escalation"


def schedule(
    scheduler: Any, db: Database, services: Services, on_queued: Callable[[], None] | None = None
) -> None:
    seconds = services.cfg.escalation.check_seconds
    if seconds <= 0:
        return
    scheduler.add_job(
        run,
        "interval",
        seconds=seconds,
        args=[db, services, on_queued],
        id=JOB_ID,
        coalesce=True,
        max_instances=1,
    )


def run(
    db: Database,
    services: Services,
    on_queued: Callable[[], None] | None = None,
    now: dt.datetime | None = None,
) -> CheckResult:
    """One check at `now` (default: the clock), unless another daemon has done this tick;
    a failure is logged and the next tick tries again (nothing is lost: the milestones
    stay due until a check commits them)."""
    gap = job_runs.interval_gap(services.cfg.escalation.check_seconds)
    try:
        with db.write() as session:
            at = now or utcnow()
            if not job_runs.take_run(session, JOB_ID, at, gap):
                return CheckResult(skipped=True)
            result = run_check(session, services, at)
    except Exception:
        log.exception("escalation check failed; the next tick tries again")
        return CheckResult()
    if result.mails and on_queued is not None:
        on_queued()
    return result
