"""What `helpdesk spam` does, without the command line: train, evaluate, stats, reset.

Training featurizes the whole corpus before it takes the model's row lock: reading mail
is the slow part, and the daemon's runner must not wait for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.services import Services
from gateway.spam.errors import ModelUnavailable
from gateway.spam.rebuild import last_rebuild
from gateway.spam.store import feature_context
from gateway.store.db import Database
from gateway.store.model import Inbound, SpamLearning, SpamModelState, utcnow

Progress = Callable[[int], None]


@dataclass
class Trained:
    ham: int
    spam: int
    version: int
    counts: dict[str, int]


def featurize(
    services: Services, items: Iterable[tuple[bytes, bool]], progress: Progress | None = None
) -> tuple[Any, list[bool]]:
    """The feature matrix and labels of `items` (`progress` gets the count read so far)."""
    from classifier import SpamModel

    return SpamModel.new().featurize(items, progress, feature_context(services.cfg))


def train(
    db: Database,
    services: Services,
    items: Iterable[tuple[bytes, bool]],
    actor: str,
    progress: Progress | None = None,
    source: str = "",
) -> Trained:
    """Learn labelled mail into the stored model (a new one if none) and store it.

    ``source`` names the corpus (the starter, or the paths and folders given); the model
    records it with its counts, and `spam stats` lists them.
    """
    matrix, labels = featurize(services, items, progress)
    n_spam = sum(labels)
    with db.write() as session:
        model = services.spam.for_update(session)
        if labels:
            model.learn_matrix(matrix, labels, source=source[:200] or None)
        version = services.spam.save(session, model, actor)
        now = utcnow()
        for is_spam, count in ((False, len(labels) - n_spam), (True, n_spam)):
            if count:
                session.add(
                    SpamLearning(at=now, kind="train", is_spam=is_spam, actor=actor, count=count)
                )
    return Trained(len(labels) - n_spam, n_spam, version, dict(model.counts))


def current_model(db: Database, services: Services) -> Any:
    """The stored model, to score with; ModelUnavailable if there is none or it is broken."""
    with db.read() as session:
        model = services.spam.current(session)
    if services.spam.error is not None:
        raise ModelUnavailable(services.spam.error)
    if model is None:
        raise ModelUnavailable("no model has been trained yet (helpdesk spam train)")
    return model


def counted(raws: Iterable[bytes], progress: Progress | None, start: int = 0) -> Iterator[bytes]:
    """`raws`, reporting each one to `progress` (numbered from `start`)."""
    n = start
    for raw in raws:
        yield raw
        n += 1
        if progress is not None and n % 64 == 0:
            progress(n)


def reset(db: Database, services: Services, actor: str) -> int:
    """Forget everything learned: no model, so nothing is held (cold start)."""
    with db.write() as session:
        services.spam.refresh(session, lock=True)
        version = services.spam.save(session, None, actor)
        session.add(SpamLearning(at=utcnow(), kind="reset", actor=actor, count=0))
    return version


def _count(session: Session, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(SpamLearning).where(*where)) or 0)


def stats(db: Database, services: Services, now: dt.datetime | None = None) -> dict[str, Any]:
    """The model's version and state, what it learned, and the agents' recent corrections."""
    now = now or utcnow()
    with db.read() as session:
        row = session.get(SpamModelState, 1)
        model = services.spam.current(session)
        corrections = SpamLearning.kind == "correction"
        since = {d: now - dt.timedelta(days=d) for d in (7, 30)}
        result: dict[str, Any] = {
            "version": row.version if row is not None else 0,
            "updated_at": row.updated_at if row is not None else None,
            "updated_by": row.updated_by if row is not None else "",
            "size": len(row.data) if row is not None and row.data is not None else 0,
            "loaded": model is not None,
            "load_error": services.spam.error,
            "trained": bool(model is not None and model.trained),
            "ham_learned": model.counts["ham"] if model is not None else 0,
            "spam_learned": model.counts["spam"] if model is not None else 0,
            "uncalibrated": bool(model is not None and model.uncalibrated),
            "corpora": [dict(x) for x in model.sources] if model is not None else [],
            "corrections_7d": _count(session, corrections, SpamLearning.at >= since[7]),
            "corrections_30d": _count(session, corrections, SpamLearning.at >= since[30]),
            "corrections_to_spam_30d": _count(
                session, corrections, SpamLearning.is_spam, SpamLearning.at >= since[30]
            ),
            "answers_learned_30d": _count(
                session, SpamLearning.kind == "answer", SpamLearning.at >= since[30]
            ),
            "confirmed_spam_30d": _count(
                session, SpamLearning.kind == "confirm", SpamLearning.at >= since[30]
            ),
            "held": int(session.scalar(select(func.count()).where(Inbound.state == "held")) or 0),
            "last_rebuild": last_rebuild(session),
        }
    return result
