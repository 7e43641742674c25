"""Reasons that only the provider's own wording tells, applied where the text is silent.

Some services answer in prose with no status code and no standard phrase: Google Groups
refuses a post to a group that does not exist or does not let the sender post, in the
reader's language, from mailer-daemon@googlemail.com. sisimai reads these as `rejected`
(the sender was refused, not the address); the rules here say the same, as data: the
recipient's domain, a fragment of the text (lower case), and the reason.
"""

from __future__ import annotations

# (recipient domain, fragment the text must hold, reason)
RULES: tuple[tuple[str, str, str], ...] = (
    ("googlegroups.com", "google groups", "rejected"),
    ("googlegroups.com", "google グループ", "rejected"),
    ("googlegroups.com", "groups.google.com", "rejected"),
)
# Verdicts a provider rule may replace: those that say the text told nothing.
_SILENT = {"undefined", "onhold", ""}


def provider_reason(recipient: str, text: str, reason: str) -> str:
    """`reason`, or the provider's when ours found nothing and a rule fits."""
    if reason not in _SILENT:
        return reason
    domain = recipient.rpartition("@")[2].lower()
    lowered = text.lower()
    for rule_domain, fragment, verdict in RULES:
        if (domain == rule_domain or domain.endswith("." + rule_domain)) and fragment in lowered:
            return verdict
    return reason
