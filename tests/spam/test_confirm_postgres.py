"""Two daemons on one PostgreSQL database confirm each held message once, not twice."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select

from gateway.spam.jobs import run_confirm
from gateway.store.model import Inbound, SpamLearning, SpamModelState
from tests.postgres import private_postgres
from tests.spam.conftest import Desk
from tests.spam.corpus import spam
from tests.spam.test_confirm import LATER


def test_two_daemons_confirm_each_held_message_once(tmp_path: Path, trained_model: bytes) -> None:
    with private_postgres() as url:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        first = Desk(tmp_path / "a", url=url)
        second = Desk(tmp_path / "b", url=url)
        try:
            first.install(trained_model)
            held = [first.take(spam(3000 + n)) for n in range(6)]
            assert {first.inbound(i).state for i in held} == {"held"}
            with first.db.write() as s:
                for row in s.scalars(select(Inbound).where(Inbound.id.in_(held))):
                    assert row.processed_at is not None
                    row.processed_at = row.processed_at - LATER  # held two days ago
                version = s.scalar(select(SpamModelState.version)) or 0
            start = threading.Barrier(2)
            done: list[int] = []

            def confirm(desk: Desk) -> None:
                start.wait()
                done.append(run_confirm(desk.db, desk.services))

            threads = [threading.Thread(target=confirm, args=(d,)) for d in (first, second)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert sorted(done) == [0, 6]
            with second.db.read() as s:
                learned = s.scalars(
                    select(SpamLearning.inbound_id).where(SpamLearning.kind == "confirm")
                )
                assert sorted(i or 0 for i in learned) == sorted(held)
                assert s.scalar(select(SpamModelState.version)) == version + 1
        finally:
            first.db.dispose()
            second.db.dispose()
