"""Robustness sweep: every message of the messy public corpora goes through `deliver` and the
real pipeline; none is refused, none makes a stage fail, each is stored on a ticket."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
from bench.corpus_sweep import deliver_sweep  # noqa: E402
from tests.corpora import CORPORA  # noqa: E402


def test_every_corpus_message_is_delivered_and_processed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert CORPORA.is_dir(), f"the corpora must be at {CORPORA}"
    problems = deliver_sweep(CORPORA, verbose=False)
    out = capsys.readouterr().out
    assert problems == 0, out
    for corpus in ("zammad", "stalwart", "spamscope", "rt"):
        assert f"deliver {corpus}" in out
    assert "QUARANTINED" not in out and "REFUSED" not in out
