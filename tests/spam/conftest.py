"""Fixtures of the spam tests: a desk run in-process on a test config, a trained model."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from gateway import spool
from gateway.daemon.runner import Runner
from gateway.daemon.supervisor import prepare_database
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.store.model import Inbound, Outbox, SpamModelState
from tests.harness import write_config
from tests.spam.corpus import training_set


class Desk:
    """The real pipeline on SQLite, fed through the spool as SMTP intake would."""

    def __init__(self, directory: Path, extra: str = "", url: str | None = None) -> None:
        path = write_config(directory, extra)
        if url is not None:  # another database than the directory's own SQLite
            text = path.read_text().replace('url = "sqlite:///var/helpdesk.db"', f'url = "{url}"')
            path.write_text(text)
        self.cfg = config_mod.load(path)
        self.db = prepare_database(self.cfg)
        self.services = Services.from_config(self.cfg)
        self.runner = Runner(self.db, self.services)

    def take(self, msg: EmailMessage | bytes, mail_from: str = "x@mail.example.net") -> int:
        raw = msg if isinstance(msg, bytes) else msg.as_bytes()
        with self.db.write() as s:
            row = spool.store(
                s, raw, source="smtp", mail_from=mail_from, rcpt_to=["support@example.com"]
            )
            row_id = row.id
        self.runner.drain()
        return row_id

    def inbound(self, row_id: int) -> Inbound:
        with self.db.read() as s:
            row = s.get(Inbound, row_id)
            assert row is not None
            return row

    def outbox(self, kind: str | None = None) -> list[Outbox]:
        with self.db.read() as s:
            rows = list(s.scalars(select(Outbox).order_by(Outbox.id)))
        return [r for r in rows if kind is None or r.kind == kind]

    def count(self, model: Any, *where: Any) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def install(self, data: bytes | None) -> None:
        """Store serialized model bytes as the current model (as another process would)."""
        with self.db.write() as s:
            s.execute(
                update(SpamModelState)
                .where(SpamModelState.id == 1)
                .values(data=data, stamp=f"test{id(data)}", version=SpamModelState.version + 1)
            )

    def score(self, raw: bytes) -> float:
        """The stored model's spam probability for `raw`, read fresh from the database."""
        from classifier import SpamModel

        with self.db.read() as s:
            data = s.scalar(select(SpamModelState.data))
        assert data is not None
        return SpamModel.loads(data).score(raw).probability


@pytest.fixture(scope="session")
def trained_model() -> bytes:
    """A model trained on office requests, obvious spam and a SpamAssassin slice."""
    from classifier import FeatureContext, SpamModel

    hams, spams = training_set()
    model = SpamModel.new()
    model.learn_many(
        [(r, False) for r in hams] + [(r, True) for r in spams], None, FeatureContext()
    )
    assert model.trained
    return model.dumps()


@pytest.fixture
def desk(tmp_path: Path, trained_model: bytes) -> Iterator[Desk]:
    d = Desk(tmp_path)
    d.install(trained_model)
    yield d
    d.db.dispose()
