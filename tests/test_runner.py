"""The runner: quarantine with stage and traceback, release, crash recovery, group commit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from gateway import spool
from gateway.cli.main import main
from gateway.daemon import claiming
from gateway.daemon.runner import CLAIMED, MAX_ATTEMPTS, Runner
from gateway.pipeline import Context, Stage
from gateway.pipeline.stages import parse
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.settings.config import Config
from gateway.store.db import Database, upgrade
from gateway.store.model import Inbound
from tests.harness import write_config


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Config, Database, Path]]:
    path = write_config(tmp_path)
    cfg = config_mod.load(path)
    upgrade(cfg.database_url)
    db = Database.from_config(cfg)
    yield cfg, db, path
    db.dispose()


def explode_on_poison(ctx: Context) -> None:
    if "POISON" in ctx.mail.subject:
        raise ValueError("cannot handle this one")
    ctx.note("ok")


PIPELINE = (Stage("parse", parse.run), Stage("explode", explode_on_poison))


def put(db: Database, *subjects: str) -> list[int]:
    with db.write() as s:
        return [
            spool.store(
                s, f"Subject: {subj}\r\nFrom: a@b.example\r\n\r\nbody\r\n".encode(), source="test"
            ).id
            for subj in subjects
        ]


def states(db: Database) -> dict[int, str]:
    with db.read() as s:
        return {r.id: r.state for r in s.scalars(select(Inbound))}


def test_failing_message_is_quarantined_alone(setup: tuple[Config, Database, Path]) -> None:
    cfg, db, path = setup
    ids = put(db, "fine 1", "POISON", "fine 2")
    runner = Runner(db, Services.from_config(cfg), pipeline=PIPELINE)
    assert runner.drain() == 3
    assert states(db) == {ids[0]: "done", ids[1]: "quarantined", ids[2]: "done"}
    with db.read() as s:
        row = s.get(Inbound, ids[1])
        assert row is not None and row.stage == "explode"
        assert row.error is not None and "ValueError: cannot handle this one" in row.error
        assert row.raw.startswith(b"Subject: POISON")

    listing = CliRunner().invoke(
        main, ["--config", str(path), "quarantine", "list", "--format", "json"]
    )
    [held] = json.loads(listing.output)
    assert held["id"] == ids[1] and held["stage"] == "explode"
    assert "cannot handle this one" in held["reason"]

    released = CliRunner().invoke(
        main, ["--config", str(path), "quarantine", "release", str(ids[1])]
    )
    assert released.exit_code == 0
    assert states(db)[ids[1]] == "new"
    # Still poison with this pipeline: back in quarantine, not lost, not looping.
    runner.drain()
    assert states(db)[ids[1]] == "quarantined"
    again = CliRunner().invoke(main, ["--config", str(path), "quarantine", "release", "999"])
    assert again.exit_code == 1 and "not in quarantine" in again.output


def test_interrupted_messages_are_retried_one_at_a_time(
    setup: tuple[Config, Database, Path],
) -> None:
    cfg, db, _ = setup
    ids = put(db, "a", "b", "c")
    # As if the process died while processing the batch of three: it was marked.
    with db.write() as s:
        s.execute(update(Inbound).values(attempts=CLAIMED))
        s.execute(
            update(Inbound).where(Inbound.id == ids[1]).values(attempts=CLAIMED + 2 * MAX_ATTEMPTS)
        )
    runner = Runner(db, Services.from_config(cfg), pipeline=PIPELINE)
    assert runner.run_once() == 1  # one at a time while recovering
    runner.drain()
    assert states(db) == {ids[0]: "done", ids[1]: "quarantined", ids[2]: "done"}
    with db.read() as s:
        row = s.get(Inbound, ids[1])
        assert row is not None and row.error is not None and "interrupted" in row.error


def test_batches_share_a_transaction(setup: tuple[Config, Database, Path]) -> None:
    cfg, db, _ = setup
    put(db, *[f"m{i}" for i in range(cfg.runner.batch_size + 20)])
    runner = Runner(db, Services.from_config(cfg), pipeline=PIPELINE)
    assert runner.run_once() == cfg.runner.batch_size
    assert runner.drain() == 20
    assert set(states(db).values()) == {"done"}


def test_a_batch_ends_at_the_message_past_its_bytes(
    setup: tuple[Config, Database, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg, db, _ = setup
    ids = put(db, *[f"m{i}" for i in range(10)])
    with db.read() as s:
        size = s.scalar(select(Inbound.size).where(Inbound.id == ids[0]))
    assert size is not None
    # Past the bytes of two and a half messages: the third ends the batch.
    monkeypatch.setattr(claiming, "BATCH_BYTES", size * 5 // 2)
    runner = Runner(db, Services.from_config(cfg), pipeline=PIPELINE)
    assert [runner.run_once() for _ in range(5)] == [3, 3, 3, 1, 0]
    assert set(states(db).values()) == {"done"}
    # One message larger than the bytes is a batch of its own, not left behind.
    monkeypatch.setattr(claiming, "BATCH_BYTES", 1)
    put(db, "big 1", "big 2")
    assert [runner.run_once() for _ in range(3)] == [1, 1, 0]


def _runner_under_flood(
    cfg: Config, db: Database, received_ago: float
) -> tuple[float, dict[int, str]]:
    """Run the runner while mail keeps arriving; seconds until the spool is processed."""
    import datetime as dt
    import threading
    import time

    from gateway.spool.pressure import IntakePressure
    from gateway.store.model import utcnow

    (row_id,) = put(db, "во время потока")
    with db.write() as s:
        s.execute(
            update(Inbound)
            .where(Inbound.id == row_id)
            .values(received_at=utcnow() - dt.timedelta(seconds=received_ago))
        )
    # A flood that never pauses, and a pause allowance far longer than the test waits. The
    # quiet spell that ends a burst is 100 touches long: a loaded machine may leave the
    # flood's thread unscheduled for tens of milliseconds, which is no pause in the mail.
    pressure = IntakePressure(quiet_after=0.5, max_pause=60.0)
    stop = threading.Event()

    def flood() -> None:
        while not stop.is_set():
            pressure.touch()
            time.sleep(0.005)

    runner = Runner(db, Services.from_config(cfg), pipeline=PIPELINE, pressure=pressure)
    threads = [threading.Thread(target=flood), threading.Thread(target=runner.run, args=(stop,))]
    start = time.monotonic()
    for t in threads:
        t.start()
    try:
        while states(db)[row_id] == "new" and time.monotonic() - start < 3:
            time.sleep(0.02)
        return time.monotonic() - start, states(db)
    finally:
        stop.set()
        for t in threads:
            t.join(10)


def test_a_sustained_flood_cannot_hold_processing_back_beyond_the_lag(
    setup: tuple[Config, Database, Path],
) -> None:
    from gateway.daemon.runner import MAX_LAG_SECONDS

    cfg, db, _ = setup
    _, result = _runner_under_flood(cfg, db, received_ago=MAX_LAG_SECONDS + 5)
    assert set(result.values()) == {"done"}


def test_a_fresh_burst_is_accepted_first(setup: tuple[Config, Database, Path]) -> None:
    cfg, db, _ = setup
    waited, result = _runner_under_flood(cfg, db, received_ago=0)
    assert set(result.values()) == {"new"} and waited >= 3  # still stepping aside


def test_an_intake_commit_waiting_ends_the_batch_and_the_rest_follows_unblamed(
    setup: tuple[Config, Database, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """The batch's transaction commits after the message under way when an SMTP commit
    waits for the lock; the rest of the batch is processed next, not taken for the
    leftovers of a crash (processed alone, counted as interrupted)."""
    import contextlib

    from gateway.spool.pressure import IntakePressure

    cfg, db, _ = setup
    ids = put(db, "a", "b", "c", "d")
    pressure = IntakePressure(quiet_after=0.0, max_pause=0.0)
    waiting = contextlib.ExitStack()

    def intake_commit_arrives(ctx: Context) -> None:
        if ctx.mail.subject == "a":
            waiting.enter_context(pressure.writing())  # as the SMTP writer thread does

    stages = (*PIPELINE, Stage("arrives", intake_commit_arrives))
    runner = Runner(db, Services.from_config(cfg), pipeline=stages, pressure=pressure)
    assert runner.run_once() == 1
    assert states(db) == {ids[0]: "done", ids[1]: "new", ids[2]: "new", ids[3]: "new"}
    waiting.close()  # that commit got the lock
    assert runner.run_once() == 3
    assert set(states(db).values()) == {"done"}
    with db.read() as s:
        assert {r.attempts for r in s.scalars(select(Inbound))} == {CLAIMED}
    assert "interrupted" not in caplog.text


def test_mail_arriving_while_a_batch_is_parsed_keeps_its_transaction_from_beginning(
    setup: tuple[Config, Database, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon's loop (`steps_aside`) leaves a batch claimed and parsed, its write
    transaction not begun, when a burst began meanwhile: the burst's first commits would
    otherwise wait for the batch's first message. The batch follows once the burst is
    over, parsed once, not taken for the leftovers of a crash."""
    from gateway.spool.pressure import IntakePressure

    cfg, db, _ = setup
    ids = put(db, "a", "b", "c")
    pressure = IntakePressure(quiet_after=3600.0, max_pause=0.0)
    parsed: list[str] = []

    def counting(ctx: Context) -> None:
        parsed.append(ctx.mail.subject)

    runner = Runner(
        db,
        Services.from_config(cfg),
        pipeline=(*PIPELINE, Stage("seen", counting)),
        pressure=pressure,
    )
    original = runner._parse_outside

    def burst_begins(batch: list[int]) -> Any:
        result = original(batch)
        pressure.touch()  # an SMTP message is stored while the batch is parsed
        return result

    monkeypatch.setattr(runner, "_parse_outside", burst_begins)
    assert runner.run_once(steps_aside=True) == 0
    assert states(db) == dict.fromkeys(ids, "new") and runner._held == ids
    assert not parsed  # no message went through the pipeline

    reparsed: list[int] = []

    def parse_again(batch: list[int]) -> Any:
        reparsed.extend(batch)
        return {}

    monkeypatch.setattr(runner, "_parse_outside", parse_again)
    # Far behind (the loop's `behind`), or called by a tool: the batch is processed.
    assert runner.run_once() == 3
    assert set(states(db).values()) == {"done"} and parsed == ["a", "b", "c"]
    assert not reparsed  # the held batch kept its parse
    with db.read() as s:
        assert {r.attempts for r in s.scalars(select(Inbound))} == {CLAIMED}


def test_a_batch_held_for_a_burst_when_the_daemon_stops_is_not_taken_for_a_crash(
    setup: tuple[Config, Database, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Stopped while a batch waits for a burst to end, the runner hands its claim back:
    the next start processes it as new mail, in one batch, not one by one as the
    leftovers of a crash."""
    import threading

    from gateway.spool.pressure import IntakePressure

    cfg, db, _ = setup
    ids = put(db, "a", "b")
    # Quiet when the loop starts; busy for far longer than the loop takes to see it.
    pressure = IntakePressure(quiet_after=0.5, max_pause=0.0)
    stop = threading.Event()
    runner = Runner(db, Services.from_config(cfg), pipeline=PIPELINE, pressure=pressure)
    original = runner._parse_outside

    def burst_then_stop(batch: list[int]) -> Any:
        result = original(batch)
        pressure.touch()
        stop.set()  # SIGTERM while the batch is held
        return result

    monkeypatch.setattr(runner, "_parse_outside", burst_then_stop)
    runner.run(stop)
    with db.read() as s:
        assert {r.id: (r.state, r.attempts) for r in s.scalars(select(Inbound))} == {
            i: ("new", 0) for i in ids
        }
    after = Runner(db, Services.from_config(cfg), pipeline=PIPELINE)
    assert after.run_once() == 2
    assert set(states(db).values()) == {"done"} and "interrupted" not in caplog.text
