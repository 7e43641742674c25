"""Bounces, complaints and automatic replies understood: who failed, why, hard or soft.

`read_bounce(raw)` returns None for ordinary mail, else a Report with one Failure per
recipient: the address, the status code (RFC 3463), a reason in sisimai's vocabulary
(userunknown, mailboxfull, feedback, vacation, ...) and whether it is hard. The formats:
DSN (RFC 3464), ARF complaints (RFC 5965), RFC 3834 auto-replies and the free texts of
MTAs that send neither (their recipients found by `flufl.bounce`).
"""

from __future__ import annotations

from gateway.bounces.extract import read_bounce
from gateway.bounces.model import Failure, Report
from gateway.bounces.reasons import classify, is_hard

__all__ = ["Failure", "Report", "classify", "is_hard", "read_bounce"]
