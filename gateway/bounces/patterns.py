"""The message fragments by which MTAs say why mail failed, per reason (lower case).

These are facts about the texts Postfix, Exim, Sendmail, qmail, Exchange / Microsoft 365,
Gmail, Yahoo, Amazon SES and others write. The lists are those sisimai keeps for the same
vocabulary (sisimai, BSD-2-Clause, https://github.com/sisimai), kept as they are there so
that our reasons agree with its: a loose fragment added here would change which reason
wins under sisimai's order. A string matches as a substring; a tuple (a, b, ...) when
its pieces appear in that order, each after the end of the one before.
"""

from __future__ import annotations

from gateway.bounces.patterns_delivery import DELIVERY
from gateway.bounces.patterns_policy import POLICY

Fragment = str | tuple[str, ...]

PATTERNS: dict[str, list[Fragment]] = {**DELIVERY, **POLICY}


# Texts that look like a reason's fragment but say something else: a refused recipient
# address is not a refused sender.
NOT_PATTERNS: dict[str, list[str]] = {
    "rejected": [
        "5.1.0 address rejected",
        "recipient address rejected",
        "sender ip address rejected",
    ],
}


def aligned(text: str, pieces: tuple[str, ...]) -> bool:
    """Whether `pieces` appear in `text` in order, each after the end of the one before."""
    at = 0
    for piece in pieces:
        found = text.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def matches(reason: str, text: str) -> bool:
    """Whether the lower-cased diagnostic `text` has one of `reason`'s fragments."""
    if not text:
        return False
    if any(n in text for n in NOT_PATTERNS.get(reason, ())):
        return False
    for fragment in PATTERNS.get(reason, ()):
        if isinstance(fragment, str):
            if fragment in text:
                return True
        elif aligned(text, fragment):
            return True
    return False
