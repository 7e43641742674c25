"""A stored model of an older format is rebuilt from the learning log, not left off.

The old-format blob is the one the previous release wrote: format 3, feature version 4,
the corpora only inside the payload (classifier.persist), so nothing here is mocked:
the cache refuses it as the daemon would, and the rebuild reads it back.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import delete, select, update

from classifier import SpamModel
from classifier.model import MARGIN
from classifier.persist import MAGIC, read_header, recorded_sources
from gateway.cli.main import main
from gateway.spam import learning
from gateway.spam.rebuild import rebuild
from gateway.store.model import Inbound, InboundRaw, SpamLearning, SpamModelState, utcnow
from tests.spam.conftest import Desk
from tests.spam.corpus import ham, spam


def _old_format(data: bytes) -> bytes:
    """``data`` as the previous format wrote it: format 3, features 4, no header sources."""
    header = read_header(data)
    payload = data[header.pop("_payload_offset") :]
    header.pop("sources", None)
    header.update(format=3, features=4)
    encoded = json.dumps(header).encode()
    return MAGIC + struct.pack(">I", len(encoded)) + encoded + payload


def _lesson(desk: Desk, raw: bytes, is_spam: bool, kind: str = "correction") -> int:
    """Take `raw` through the pipeline and teach it as an agent would."""
    row_id = desk.take(raw)
    with desk.db.write() as s:
        inbound = s.get(Inbound, row_id)
        assert inbound is not None
        learning.learn(s, desk.services, inbound, is_spam, "agent@example.com", kind=kind)
    return row_id


def test_an_old_format_model_is_rebuilt_from_its_corpora_and_lessons(
    tmp_path: Path, trained_model: bytes
) -> None:
    desk = Desk(tmp_path)
    model = SpamModel.loads(trained_model)
    model.sources = [{"name": "starter", "ham": 1, "spam": 1}]  # what the old blob recorded
    desk.install(model.dumps())
    newsletter = ham(7001)
    campaign = spam(7002)
    _lesson(desk, ham(7000), False, "answer")
    _lesson(desk, newsletter, True)  # taught as spam, then a reset ...
    with desk.db.write() as s:
        s.add(SpamLearning(kind="reset", actor="cli:admin", count=0))
    _lesson(desk, campaign, True)  # ... so only the lessons after it count
    purged = _lesson(desk, spam(7003), True, "confirm")
    with desk.db.write() as s:
        # As `helpdesk purge --raw-older-than` leaves it: the raw row gone, and when.
        s.execute(delete(InboundRaw).where(InboundRaw.inbound_id == purged))
        s.execute(update(Inbound).where(Inbound.id == purged).values(raw_dropped_at=utcnow()))
    old = _old_format(model.dumps())
    assert recorded_sources(old) == [{"name": "starter", "ham": 1, "spam": 1}]
    desk.install(old)

    with desk.db.read() as s:
        assert desk.services.spam.current(s) is None
    assert "format_version" in str(desk.services.spam.error)

    done = rebuild(desk.db, desk.services)
    assert done is not None and done.stored and "format 3" in done.reason
    assert [c["name"] for c in done.corpora] == ["starter"]
    assert done.corpora[0]["ham"] > 300 and done.corpora[0]["spam"] > 300
    assert (done.lessons, done.lessons_missing) == (1, 1)
    with desk.db.read() as s:
        stored = s.scalar(select(SpamModelState.data))
        kinds = list(s.scalars(select(SpamLearning.kind).order_by(SpamLearning.id)))
    assert stored is not None
    rebuilt = SpamModel.loads(stored)
    assert rebuilt.trained and rebuilt.sources[0]["name"] == "starter"
    # The answer and the spam lesson before the reset are not taught again.
    assert rebuilt.counts == {"ham": done.corpora[0]["ham"], "spam": done.corpora[0]["spam"] + 1}
    assert not rebuilt.holds(rebuilt.score(newsletter).probability, desk.cfg.spam.threshold)
    assert desk.services.spam.error is None
    # The lesson is taught again as it was taught: a margin past the threshold (the model
    # is still provisional, starter-only, so whether it holds at STARTER_THRESHOLD is the
    # features' matter, not the rebuild's).
    threshold = desk.cfg.spam.threshold
    taught = 1.0 / (1.0 + math.exp(-(math.log(threshold / (1.0 - threshold)) + MARGIN)))
    assert rebuilt.score(campaign).probability >= taught
    assert kinds[-1] == "rebuild"
    assert rebuild(desk.db, desk.services) is None  # loads now: nothing to do

    config = desk.cfg.base_dir / "helpdesk.toml"
    shown = CliRunner().invoke(main, ["--config", str(config), "spam", "stats", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    last = json.loads(shown.stdout)["last_rebuild"]
    assert last["version"] == done.version and "format 3" in last["reason"]
    assert "1 lessons of the learning log" in last["summary"] and "purged" in last["summary"]
    table = CliRunner().invoke(main, ["--config", str(config), "spam", "stats"])
    assert "last_rebuild" in table.stdout
    desk.db.dispose()


def test_the_cli_rebuilds_and_a_model_with_nothing_to_relearn_becomes_a_cold_start(
    tmp_path: Path, trained_model: bytes
) -> None:
    desk = Desk(tmp_path)
    config = desk.cfg.base_dir / "helpdesk.toml"
    model = SpamModel.loads(trained_model)
    model.sources = [{"name": "ham:/nowhere/ham spam:/nowhere/spam", "ham": 5, "spam": 5}]
    desk.install(_old_format(model.dumps()))
    result = CliRunner().invoke(main, ["--config", str(config), "spam", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "spam model rebuilt" in result.stdout
    assert "not found again: ham:/nowhere/ham, spam:/nowhere/spam" in result.stdout
    with desk.db.read() as s:
        assert s.scalar(select(SpamModelState.data)) is None  # cold start: nothing held
    # Corrections teach a new model again instead of failing on the unreadable one.
    _lesson(desk, spam(7100), True)
    with desk.db.read() as s:
        assert s.scalar(select(SpamModelState.data)) is not None
    again = CliRunner().invoke(main, ["--config", str(config), "spam", "rebuild"])
    assert again.exit_code == 0 and "nothing to rebuild" in again.stdout
    desk.db.dispose()


def test_paths_of_a_recorded_corpus_are_read_again(tmp_path: Path, trained_model: bytes) -> None:
    from tests.spam.corpus import write_maildir, write_mbox

    hams = write_maildir(tmp_path / "ham", [ham(i) for i in range(30)])
    spams = write_mbox(tmp_path / "spam.mbox", [spam(i) for i in range(30)])
    (tmp_path / "desk").mkdir()
    desk = Desk(tmp_path / "desk")
    model = SpamModel.loads(trained_model)
    model.sources = [{"name": f"ham:{hams} spam:{spams}", "ham": 30, "spam": 30}]
    desk.install(_old_format(model.dumps()))
    done = rebuild(desk.db, desk.services)
    assert done is not None and done.stored and not done.missing_corpora
    assert done.corpora == [{"name": f"ham:{hams} spam:{spams}", "ham": 30, "spam": 30}]
    desk.db.dispose()
