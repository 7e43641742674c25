"""Held mail that nobody released is confirmed spam: the model learns it as such.

Corrections alone teach the model only its mistakes, and answered tickets teach it ham;
without this, the spam it holds correctly would never be learned, and each new wave of
a spam run would be judged on what the first few corrections taught. An agent had the
time of `[spam] confirm_hours` and the digest to release a message; a release later
still learns it as ham, which undoes the lesson.

Each message is learned once (a `spam_learned` row of kind "confirm"), in batches, with
one model write per batch. Several daemons on one database confirm each message once:
the model's row is locked before the candidates are read again.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from gateway.spam.errors import ModelUnavailable
from gateway.spam.store import feature_context
from gateway.store.model import Inbound, SpamLearning, utcnow

if TYPE_CHECKING:
    from gateway.services import Services

log = logging.getLogger(__name__)

ACTOR = "quarantine"
KIND = "confirm"
BATCH = 200  # messages learned per model write


def _due(cutoff: dt.datetime) -> Select[Inbound]:
    """Held mail (the state only the spam stage sets) older than `cutoff`, not learned."""
    learned = exists().where(SpamLearning.inbound_id == Inbound.id)
    return (
        select(Inbound)
        .where(Inbound.state == "held", Inbound.processed_at <= cutoff, ~learned)
        .order_by(Inbound.id)
        .limit(BATCH)
    )


def _cutoff(services: Services, now: dt.datetime | None) -> dt.datetime | None:
    """Held before this is due; None when nothing is ever confirmed."""
    spam = services.cfg.spam
    if spam.confirm_hours <= 0 or not spam.enabled:
        return None
    return (now or utcnow()) - dt.timedelta(hours=spam.confirm_hours)


def any_due(session: Session, services: Services, now: dt.datetime | None = None) -> bool:
    """Whether some held mail is due: one indexed id lookup, no message bytes read."""
    cutoff = _cutoff(services, now)
    return cutoff is not None and _any(session, cutoff)


def _any(session: Session, cutoff: dt.datetime) -> bool:
    return session.scalar(_due(cutoff).with_only_columns(Inbound.id)) is not None


def confirm_held(session: Session, services: Services, now: dt.datetime | None = None) -> int:
    """Learn as spam the held mail older than `confirm_hours`; returns how many.

    Learns nothing when `confirm_hours` is 0, or when the stored model does not load
    (ModelUnavailable is logged, not raised: the job tries again next time).
    """
    cutoff = _cutoff(services, now)
    if cutoff is None or not _any(session, cutoff):
        return 0  # the usual case: no lock taken, no model loaded
    cache = services.spam
    try:
        model = cache.for_update(session)
    except ModelUnavailable as exc:
        log.warning("held spam not confirmed: %s", exc)
        return 0
    rows = list(session.scalars(_due(cutoff)))  # under the lock: another daemon may be done
    if not rows:
        return 0
    context = feature_context(services.cfg)
    threshold = services.cfg.spam.threshold
    for row in rows:
        model.learn(row.raw, True, context, threshold)
        session.add(
            SpamLearning(at=utcnow(), kind=KIND, is_spam=True, inbound_id=row.id, actor=ACTOR)
        )
    version = cache.save(session, model, ACTOR)
    log.info("spam model version %d: %d held message(s) confirmed as spam", version, len(rows))
    return len(rows)
