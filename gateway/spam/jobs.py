"""The quarantine digest and the confirmation of held spam as jobs of the daemon's scheduler.

With `digest_cron` the job fires on that schedule; otherwise it looks every few minutes
whether `digest_hours` have passed since the last digest (kept in the database, so a
restart neither skips nor repeats one). Several daemons on one database run each tick of
either job once (gateway.store.job_runs), and the digest's state row, locked, keeps one
digest per period. Held spam that nobody released is confirmed (learned) by a job every
few minutes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from gateway.services import Services
from gateway.settings import cron
from gateway.settings.config import Config
from gateway.spam.confirm import any_due, confirm_held
from gateway.spam.digest import last_sent, send_digest
from gateway.store import job_runs
from gateway.store.db import Database
from gateway.store.model import utcnow

log = logging.getLogger(__name__)

JOB_ID = "spam-digest"
CONFIRM_JOB_ID = "spam-confirm"
_CONFIRM_SECONDS = 300.0
# Cron fires every daemon within seconds of each other and at most once a minute.
_CRON_GAP = dt.timedelta(seconds=50)
_MAX_LOOK_SECONDS = 600.0


def schedule_digest(
    scheduler: Any,
    cfg: Config,
    db: Database,
    services: Services,
    on_queued: Callable[[], None] | None = None,
) -> None:
    """Add the digest job to an APScheduler scheduler as `[spam]` configures it."""
    spam = cfg.spam
    if not spam.enabled:
        return
    options: dict[str, Any] = {"id": JOB_ID, "coalesce": True, "max_instances": 1}
    if spam.digest_cron:
        trigger = cron.trigger(spam.digest_cron, timezone="UTC")
        scheduler.add_job(run_digest, trigger, args=[db, services, None, on_queued], **options)
    elif spam.digest_hours > 0:
        period = dt.timedelta(hours=spam.digest_hours)
        scheduler.add_job(
            run_digest,
            "interval",
            seconds=_look_seconds(period),
            args=[db, services, period, on_queued],
            **options,
        )


def schedule_confirm(scheduler: Any, cfg: Config, db: Database, services: Services) -> None:
    """Add the job that learns unreleased held mail as spam (`[spam] confirm_hours`)."""
    if not cfg.spam.enabled or cfg.spam.confirm_hours <= 0:
        return
    scheduler.add_job(
        run_confirm,
        "interval",
        seconds=_confirm_seconds(cfg),
        args=[db, services],
        id=CONFIRM_JOB_ID,
        coalesce=True,
        max_instances=1,
    )


def _look_seconds(period: dt.timedelta) -> float:
    """How often the interval digest looks whether its period has passed."""
    return min(max(period.total_seconds() / 6, 1.0), _MAX_LOOK_SECONDS)


def _confirm_seconds(cfg: Config) -> float:
    return max(min(_CONFIRM_SECONDS, cfg.spam.confirm_hours * 3600 / 6), 1.0)


def run_confirm(db: Database, services: Services, now: dt.datetime | None = None) -> int:
    """Confirm what is due, unless another daemon has done this tick; a failure is logged
    and left to the next run.

    Looked at in a read transaction first: most runs find nothing, and a write
    transaction would take SQLite's write lock from the intake for nothing.
    """
    gap = job_runs.interval_gap(_confirm_seconds(services.cfg))
    try:
        with db.read() as session:
            if not any_due(session, services):
                return 0
        with db.write() as session:
            at = now or utcnow()
            if not job_runs.take_run(session, CONFIRM_JOB_ID, at, gap):
                return 0
            return confirm_held(session, services, at)
    except Exception:
        log.exception("confirming held spam failed; the next run tries again")
        return 0


def run_digest(
    db: Database,
    services: Services,
    period: dt.timedelta | None,
    on_queued: Callable[[], None] | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Send the digest if it is due at `at` (default: the clock); `period` None means cron
    decided it is."""
    gap = job_runs.interval_gap(_look_seconds(period)) if period else _CRON_GAP
    try:
        with db.write() as session:
            now = at or utcnow()
            if not job_runs.take_run(session, JOB_ID, now, gap):
                return 0
            last = last_sent(session, lock=True)
            if last is not None and now - last < (period or _CRON_GAP):
                return 0
            listed = send_digest(session, services, last, now)
    except Exception:
        log.exception("spam digest failed; the next run tries again")
        return 0
    if listed and on_queued is not None:
        on_queued()
    return listed
