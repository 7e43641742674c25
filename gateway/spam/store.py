"""The spam model in the database, and this process's cached copy of it.

One row (`spam_model`) holds the serialized model. Every write gives it a new random
stamp and a higher version; a process reloads its copy when the stamp it sees differs,
so several daemons on one database score with the same model. The stamp is looked at
once per session: the runner uses one session per batch, so that is one small SELECT
per batch, never one per message.
"""

from __future__ import annotations

import logging
import secrets
import weakref
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from gateway.settings.config import Config
from gateway.spam.errors import ModelUnavailable
from gateway.store.model import SpamModelState, utcnow

if TYPE_CHECKING:
    from classifier import FeatureContext, SpamModel

log = logging.getLogger(__name__)

ROW_ID = 1


def feature_context(cfg: Config) -> FeatureContext:
    """What the classifier needs to know about this site: internal domains, trusted server."""
    from classifier import FeatureContext

    return FeatureContext(
        internal_domains=[d.lower() for d in cfg.spam.trusted_domains],
        trusted_authserv_id=cfg.spam.trusted_authserv_id or cfg.security.trusted_authserv_id,
    )


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


class ModelCache:
    """This process's copy of the stored model; scikit-learn is imported on first load."""

    def __init__(self) -> None:
        self.model: SpamModel | None = None
        self.version = 0
        # Why the stored model cannot be used, or None (reported by the stage and `stats`).
        self.error: str | None = None
        # The site facts the features depend on; made once, on first use.
        self.features: FeatureContext | None = None
        self._stamp: str | None = None
        self._checked: weakref.ref[Session] | None = None

    def current(self, session: Session) -> SpamModel | None:
        """The model to score with, or None (none stored, or it does not load)."""
        if self._checked is None or self._checked() is not session:
            self.refresh(session)
            self._checked = weakref.ref(session)
        return self.model

    def refresh(self, session: Session, lock: bool = False) -> None:
        """Reload the copy if the stored model changed; `lock` holds the row (PostgreSQL)."""
        query = select(SpamModelState.version, SpamModelState.stamp).where(
            SpamModelState.id == ROW_ID
        )
        if lock and not _is_sqlite(session):
            query = query.with_for_update()
        row = session.execute(query).first()
        version, stamp = (row.version, row.stamp) if row is not None else (0, "")
        if stamp == self._stamp:
            return
        data = session.scalar(select(SpamModelState.data).where(SpamModelState.id == ROW_ID))
        self._load(data, version, stamp)

    def _load(self, data: bytes | None, version: int, stamp: str) -> None:
        from classifier import ModelLoadError, SpamModel

        self.model, self.error, self.version, self._stamp = None, None, version, stamp
        if data is None:
            return
        try:
            self.model = SpamModel.loads(data)
        except ModelLoadError as exc:
            self.error = str(exc)
            # Reported once per stored version; the filter stays off until the daemon's
            # rebuild (gateway.spam.rebuild) or an admin replaces it.
            log.error(
                "spam filter off: %s (the daemon rebuilds it from the learning log at "
                "start; `helpdesk spam rebuild` does it now)",
                exc,
            )
            return
        log.info("spam model version %d loaded (%s)", version, _counts(self.model))

    def for_update(self, session: Session) -> SpamModel:
        """The stored model, its row locked for this transaction, to learn on.

        A fresh model when none is stored; ModelUnavailable when the stored one does not
        load (learning on a fresh one would silently discard it).
        """
        from classifier import SpamModel

        self.refresh(session, lock=True)
        self._checked = weakref.ref(session)
        if self.error is not None:
            raise ModelUnavailable(self.error)
        if self.model is None:
            self.model = SpamModel.new()
        return self.model

    def save(self, session: Session, model: SpamModel | None, actor: str) -> int:
        """Store `model` (None: no model, the cold start) as a new version; returns it.

        Call after `for_update` in the same transaction. Should the transaction roll back,
        the stored stamp differs from ours and the next `current` reloads the stored model.
        """
        stamp = secrets.token_hex(16)
        values = {
            "stamp": stamp,
            "data": model.dumps() if model is not None else None,
            "updated_at": utcnow(),
            "updated_by": actor[:320],
        }
        done = session.execute(
            update(SpamModelState)
            .where(SpamModelState.id == ROW_ID)
            .values(version=SpamModelState.version + 1, **values)
        )
        if not getattr(done, "rowcount", 0):
            session.execute(insert(SpamModelState).values(id=ROW_ID, version=1, **values))
        self.model, self.error, self._stamp = model, None, stamp
        self.version += 1
        self._checked = weakref.ref(session)
        return self.version


def _counts(model: SpamModel) -> str:
    return f"{model.counts['ham']} ham, {model.counts['spam']} spam learned"


def prepare() -> None:
    """Import the learning code before any transaction needs it.

    The first lesson or score of a process imports scikit-learn, NumPy and SciPy (seconds
    on a busy machine); inside the processing transaction that time would be spent
    holding SQLite's write lock, with SMTP intake waiting for it.
    """
    import importlib

    from classifier import SpamModel

    # What classifier.features and classifier.model import inside their functions.
    for name in ("numpy", "scipy.sparse", "sklearn.utils", "sklearn.linear_model"):
        importlib.import_module(name)
    SpamModel.new()
