"""What a bounce report says: one Failure per recipient, in a Report."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Failure:
    """One recipient the report is about."""

    recipient: str
    status: str
    reason: str
    hard: bool
    diagnostic: str = ""
    # An ARF complaint's Feedback-Type (RFC 5965: abuse, fraud, opt-out, not-spam, ...).
    feedback_type: str = ""


@dataclass
class Report:
    """What a bounce, complaint or automatic reply says about mail we sent."""

    # "dsn", "arf", "autoreply", "mta" (an MTA's own format, from the MTA), "text"
    kind: str
    failures: list[Failure] = field(default_factory=list)
    # The Message-IDs (bare) of the returned original, to find our outbox row.
    original_ids: list[str] = field(default_factory=list)
