"""A processing child killed mid-batch: interruptions count per message, not per batch.

A real child process runs the runner; SIGKILL ends it while the poison message (which
hangs it every time) or an innocent one caught by an outside kill is being processed.
Innocent mail that shared the batch is processed in the end; only the message that was
itself interrupted three times, alone, is quarantined with the reason.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway import spool
from gateway.daemon.runner import MAX_ATTEMPTS
from gateway.settings import config as config_mod
from gateway.store.db import Database, upgrade
from gateway.store.model import Inbound
from tests.harness import wait_until, write_config

ROOT = Path(__file__).resolve().parents[2]

SUBJECTS = [
    "Не печатает принтер на 3 этаже",
    "VPN drops every hour",
    "POISON: hangs processing",
    "Пароль от почты истёк",
    "Laptop fan noise, ticket for IT",
]
POISON = SUBJECTS[2]


@pytest.fixture
def spooled(tmp_path: Path) -> Iterator[tuple[Path, Database, list[int]]]:
    path = write_config(tmp_path)
    cfg = config_mod.load(path)
    upgrade(cfg.database_url)
    db = Database.from_config(cfg)
    senders = ["ivan@пример.рф", "kim@corp.example", "x@spam.ru", "olga@mail.test", "a@b.com"]
    with db.write() as s:
        ids = [
            spool.store(
                s,
                (
                    f"Subject: {subject}\r\nFrom: {sender}\r\n"
                    f"Content-Type: text/plain; charset=utf-8\r\n\r\nтекст / text\r\n"
                ).encode(),
                source="smtp",
            ).id
            for subject, sender in zip(SUBJECTS, senders, strict=True)
        ]
    (tmp_path / "holds").mkdir()
    yield path, db, ids
    db.dispose()


def _started(directory: Path) -> list[str]:
    progress = directory / "progress"
    return progress.read_text("utf-8").splitlines() if progress.exists() else []


def _child(path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.hostile.gated_child", str(path), str(path.parent)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _kill_when_started(path: Path, subject: str) -> None:
    """Start a child, SIGKILL it once `subject` is being processed."""
    before = _started(path.parent).count(subject)
    child = _child(path)
    try:
        wait_until(
            lambda: _started(path.parent).count(subject) > before or child.poll() is not None,
            60,
            f"the child to start on {subject!r}",
        )
        assert child.poll() is None, "the child ended instead of hanging"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)


def _run_to_end(path: Path) -> None:
    child = _child(path)
    assert child.wait(120) == 0


def _rows(db: Database) -> dict[str, Inbound]:
    with db.read() as s:
        return {r.raw.split(b"\r\n")[0][9:].decode(): r for r in s.scalars(select(Inbound))}


def test_innocent_mail_in_a_killed_batch_is_never_quarantined(
    spooled: tuple[Path, Database, list[int]],
) -> None:
    path, db, _ = spooled
    holds = path.parent / "holds"
    (holds / POISON).touch()
    # 1: the whole batch is claimed; the poison hangs it; SIGKILL.
    _kill_when_started(path, POISON)
    # 2, 3: outside kills while the first innocent message is processed alone.
    first = SUBJECTS[0]
    (holds / first).touch()
    _kill_when_started(path, first)
    _kill_when_started(path, first)
    (holds / first).unlink()
    # That message was interrupted twice, not three times: it goes through. The poison
    # then hangs each child that takes it alone, until its third interruption.
    for _ in range(MAX_ATTEMPTS):
        _kill_when_started(path, POISON)
    _run_to_end(path)

    rows = _rows(db)
    assert {s: r.state for s, r in rows.items()} == {
        s: ("quarantined" if s == POISON else "done") for s in SUBJECTS
    }
    poison = rows[POISON]
    assert poison.stage == "runner"
    assert poison.error is not None and f"interrupted {MAX_ATTEMPTS} times" in poison.error
    assert poison.raw.startswith(b"Subject: POISON")
    assert all(r.stage is None for s, r in rows.items() if s != POISON)
    # Each innocent message was started in the killed batch (or never reached) and
    # processed to the end afterwards.
    started = _started(path.parent)
    assert started.count(first) == 3 + 1
    assert all(started.count(s) >= 1 for s in SUBJECTS)
