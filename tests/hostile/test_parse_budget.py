"""A time budget per message for parsing and sanitising HTML, driven by a passed clock.

Past the budget the rest of the message is taken as text (tags stripped), the HTML that
was not wholly parsed is not kept for display, and the message is flagged.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.guard.budget import Budget
from gateway.parse import parse_message
from gateway.settings import config as config_mod
from tests.harness import write_config


def _ticking(step: float) -> Callable[[], float]:
    """A clock that moves `step` seconds each time it is read."""
    now = [0.0]

    def clock() -> float:
        now[0] += step
        return now[0]

    return clock


def _html_parts(*bodies: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Пётр <petr@пример.рф>"
    msg["To"] = "support@example.com"
    msg["Subject"] = "Отчёт / report"
    msg.set_content("")
    msg.clear_content()
    msg.make_mixed()
    for body in bodies:
        part = EmailMessage()
        part.set_content(body, subtype="html", charset="utf-8")
        msg.attach(part)
    return msg.as_bytes()


def test_within_the_budget_nothing_is_cut() -> None:
    raw = _html_parts("<p>Принтер <b>не печатает</b></p>", "<p>VPN is down</p>")
    parsed = parse_message(raw, Budget(5.0, clock=lambda: 100.0))
    assert not [p for p in parsed.problems if "budget" in p]
    assert "не печатает" in parsed.text and "VPN is down" in parsed.text
    assert "<b>не печатает</b>" in parsed.html


def test_parts_after_the_budget_are_text_only_and_flagged() -> None:
    raw = _html_parts(
        "<p>Первая часть: <i>сервер</i></p>",
        "<div><p>Second part: <a href='https://x.example/'>link</a></p></div>",
        "<table><tr><td>Третья &amp; последняя</td></tr></table>",
    )
    # Each look at the clock costs a second; the budget is gone after the first part.
    parsed = parse_message(raw, Budget(2.5, clock=_ticking(1.0)))
    flagged = [p for p in parsed.problems if "budget of 2.5 s" in p]
    assert flagged, parsed.problems
    # Nothing is lost: every part's words are in the text.
    for words in ("Первая часть", "Second part", "Третья & последняя"):
        assert words in parsed.text
    # Only wholly parsed HTML is kept for display, and none once the budget is spent.
    assert "Third" not in parsed.html and "Третья" not in parsed.html


def test_one_long_part_is_cut_between_slices_and_the_rest_kept_as_text() -> None:
    paragraphs = [f"<div><p>Абзац {i}: <b>строка</b> text line {i}</p></div>" for i in range(4000)]
    raw = _html_parts("\n".join(paragraphs))
    parsed = parse_message(raw, Budget(3.0, clock=_ticking(1.0)))
    assert any("the rest kept as text only" in p for p in parsed.problems), parsed.problems
    assert parsed.html == ""
    # The start was converted by the parser (bold marks dropped), the end stripped.
    assert "Абзац 0: строка text line 0" in parsed.text
    assert "Абзац 3999: строка text line 3999" in parsed.text
    assert "<b>" not in parsed.text


def test_no_budget_at_zero_seconds() -> None:
    raw = _html_parts("<p>Пароль истёк</p>")
    parsed = parse_message(raw, Budget(0, clock=_ticking(1000.0)))
    assert not [p for p in parsed.problems if "budget" in p]
    assert "Пароль истёк" in parsed.html


def test_a_negative_budget_is_a_config_error(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    text = path.read_text("utf-8").replace("[runner]\n", "[runner]\nparse_seconds = -1\n")
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as err:
        config_mod.load(path)
    assert "[runner] parse_seconds: must be 0 (no budget) or more" in str(err.value)
