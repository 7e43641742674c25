"""How a score explains itself to agents: named tokens before byte grams, never a weight
that pulled towards wanted mail."""

from __future__ import annotations

from gateway.spam.learning import reasons


def test_tokens_come_before_grams_and_ham_evidence_is_left_out() -> None:
    top = [["raw:'Viag'", 2.0], ["b:viagra", 1.5], ["hdr:threaded", -3.0], ["url:tld=ru", 0.4]]
    assert reasons(top) == "b:viagra, url:tld=ru"
    assert reasons(top, 1) == "b:viagra"


def test_grams_are_named_when_nothing_else_pushed() -> None:
    assert reasons([["raw:'FREE'", 1.0], ["b:hello", -1.0]]) == "raw:'FREE'"
    assert reasons([["b:hello", -1.0]]) == ""
    assert reasons([]) == ""
