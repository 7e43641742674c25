"""Rebuild a stored spam model that no longer loads, from what the database remembers.

An upgrade that changes the features, the model format or scikit-learn leaves the stored
model unreadable (classifier.persist refuses it rather than score with wrong weights).
Waiting for someone to retrain would leave the filter off for days, so the daemon rebuilds
it at start, in the background (gateway.daemon.processing), and `helpdesk spam rebuild`
does it by hand. What it is rebuilt from:

- the corpora the old model recorded (its header or payload, classifier.persist): the
  shipped starter, and `--ham`/`--spam` paths that still exist; IMAP folders are not
  fetched again (named as missing);
- the lessons of the learning log since the last reset (corrections, answered tickets,
  confirmed spam), in the order they were taught, from the raw mail kept in `inbound`
  (purged mail is counted as missing).

The rebuild featurizes outside any write transaction and stores the new model only if
the stored one did not change meanwhile (another daemon rebuilt or someone retrained).
Its summary is kept in `kv` (`spam stats` shows it) and as a `rebuild` learning-log row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.services import Services
from gateway.spam.store import ROW_ID, feature_context
from gateway.store.db import Database
from gateway.store.model import Inbound, KeyValue, SpamLearning, SpamModelState, utcnow

if TYPE_CHECKING:
    from classifier import SpamModel

log = logging.getLogger(__name__)

KV_KEY = "spam_rebuild"
ACTOR = "system:rebuild"
REPLAYED = ("correction", "answer", "confirm")  # learning-log kinds with a message
_CHUNK = 200  # lessons whose raw mail is read and featurized at a time


@dataclass
class Rebuilt:
    """What a rebuild learnt again and what it could not find."""

    reason: str  # why the stored model did not load
    version: int = 0  # the stored version after the rebuild (0: not stored)
    corpora: list[dict[str, Any]] = field(default_factory=list)
    missing_corpora: list[str] = field(default_factory=list)
    lessons: int = 0
    lessons_missing: int = 0  # logged lessons whose mail was purged or deleted
    stored: bool = False  # False: the stored model changed meanwhile, nothing written

    def summary(self) -> str:
        corpora = ", ".join(f"{c['name']} ({c['ham']} ham, {c['spam']} spam)" for c in self.corpora)
        text = f"{self.lessons} lessons of the learning log"
        if corpora:
            text = f"corpora {corpora}; {text}"
        if self.lessons_missing:
            text += f" ({self.lessons_missing} whose mail is purged were skipped)"
        if self.missing_corpora:
            text += "; not found again: " + ", ".join(self.missing_corpora)
        return text


def load_error(db: Database, services: Services) -> str | None:
    """Why the stored model does not load, or None (it loads, or none is stored)."""
    with db.read() as session:
        services.spam.current(session)
    return services.spam.error


def rebuild(db: Database, services: Services, actor: str = ACTOR) -> Rebuilt | None:
    """Rebuild and store the model if the stored one does not load; None if it does."""
    from classifier import SpamModel
    from classifier.persist import recorded_sources

    with db.read() as session:
        services.spam.refresh(session)
        reason = services.spam.error
        if reason is None:
            return None
        row = session.get(SpamModelState, ROW_ID)
        stamp = row.stamp if row is not None else ""
        sources = recorded_sources(row.data) if row is not None and row.data else []
    log.warning("spam filter: rebuilding the stored model (%s)", reason)
    done = Rebuilt(reason)
    model = SpamModel.new()
    for source in sources:
        _relearn_corpus(services, model, source, done)
    with db.read() as session:
        _replay_lessons(session, services, model, done)
    with db.write() as session:
        cache = services.spam
        cache.refresh(session, lock=True)
        current = session.scalar(select(SpamModelState.stamp).where(SpamModelState.id == ROW_ID))
        if cache.error is None or (current or "") != stamp:
            log.info("spam filter: the stored model changed during the rebuild; kept it")
            return done
        learned = model.counts["ham"] + model.counts["spam"]
        # Nothing to learn again: a cold start (nothing held), so that corrections teach
        # a new model instead of failing on the one that cannot be read.
        done.version = cache.save(session, model if learned else None, actor)
        done.stored = True
        session.add(SpamLearning(at=utcnow(), kind="rebuild", actor=actor[:320], count=learned))
        _remember(session, done)
    log.warning("spam filter: model rebuilt as version %d from %s", done.version, done.summary())
    return done


def last_rebuild(session: Session) -> dict[str, Any] | None:
    """The summary of the last rebuild (`spam stats`), or None."""
    row = session.get(KeyValue, KV_KEY)
    return dict(row.value) if row is not None else None


def _remember(session: Session, done: Rebuilt) -> None:
    now = utcnow()
    value: dict[str, Any] = {**asdict(done), "at": now.isoformat(), "summary": done.summary()}
    row = session.get(KeyValue, KV_KEY)
    if row is None:
        session.add(KeyValue(key=KV_KEY, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now


def _relearn_corpus(
    services: Services, model: SpamModel, source: dict[str, Any], done: Rebuilt
) -> None:
    """Learn one recorded corpus again, if it can still be read."""
    from classifier.starter import NAME, StarterCorruptError, iter_starter

    name = str(source["name"])
    if name == NAME:
        try:
            items = [(raw, is_spam) for raw, is_spam, _ in iter_starter()]
        except StarterCorruptError as exc:
            done.missing_corpora.append(f"{name} ({exc})")
            return
    else:
        found, missing = _corpus_items(name)
        done.missing_corpora.extend(missing)
        if missing and not found:
            return
        items = found
    matrix, labels = model.featurize(items, None, feature_context(services.cfg))
    if matrix is None:
        done.missing_corpora.append(f"{name} (no mail found)")
        return
    model.learn_matrix(matrix, labels, source=name)
    done.corpora.append(dict(model.sources[-1]))


def _corpus_items(name: str) -> tuple[list[tuple[bytes, bool]], list[str]]:
    """The mail of a source named as `helpdesk spam train` names it: ``ham:PATH spam:PATH``.

    Paths are separated by spaces in the name, so a path with a space reads as missing.
    """
    from classifier import ClassifierError, iter_messages

    items: list[tuple[bytes, bool]] = []
    missing: list[str] = []
    for part in name.split():
        kind, _, where = part.partition(":")
        if kind not in ("ham", "spam") or not Path(where).exists():
            missing.append(part)
            continue
        try:
            items.extend((raw, kind == "spam") for raw in iter_messages(Path(where)))
        except (ClassifierError, OSError) as exc:
            missing.append(f"{part} ({exc})")
    return items, missing


def _lessons(session: Session) -> list[tuple[int, bool]]:
    """(inbound id, is_spam) of each lesson since the last reset, in the order taught."""
    last_reset = session.scalar(
        select(func.max(SpamLearning.id)).where(SpamLearning.kind == "reset")
    )
    query = (
        select(SpamLearning.inbound_id, SpamLearning.is_spam)
        .where(SpamLearning.kind.in_(REPLAYED), SpamLearning.inbound_id.is_not(None))
        .order_by(SpamLearning.id)
    )
    if last_reset is not None:
        query = query.where(SpamLearning.id > last_reset)
    return [(int(i), bool(s)) for i, s in session.execute(query) if i is not None]


def _chunks(items: list[tuple[int, bool]]) -> Iterator[list[tuple[int, bool]]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _replay_lessons(session: Session, services: Services, model: SpamModel, done: Rebuilt) -> None:
    """Teach the logged lessons again one by one, as they were taught (learn_rows)."""
    context = feature_context(services.cfg)
    threshold = services.cfg.spam.threshold
    for chunk in _chunks(_lessons(session)):
        ids = {i for i, _ in chunk}
        found = session.execute(select(Inbound.id, Inbound.raw).where(Inbound.id.in_(ids)))
        raws: dict[int, bytes] = {int(i): r for i, r in found}
        kept = [(raws[i], s) for i, s in chunk if raws.get(i)]
        done.lessons_missing += len(chunk) - len(kept)
        if not kept:
            continue
        matrix = model.features([raw for raw, _ in kept], context)
        model.learn_rows(matrix, [s for _, s in kept], threshold)
        done.lessons += len(kept)


def run_rebuild(db: Database, services: Services) -> None:
    """The daemon's job: rebuild if needed; a failure is logged, the filter stays off."""
    try:
        rebuild(db, services)
    except Exception:
        log.exception("spam filter: rebuilding the stored model failed; it stays off")
