"""The `Transport` contract every delivery method keeps, and the result of one send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Outcome = Literal["sent", "temporary", "permanent"]


@dataclass(frozen=True)
class SendResult:
    """What became of one mail.

    sent: accepted for at least one recipient; `failed_recipients` maps each refused one
    to the server's reply ("550 5.1.1 ..." or "451 4.2.0 ..."), whose first digit says
    whether it may be retried. temporary: nothing delivered, try again later.
    permanent: nothing delivered, and retrying will not help.
    """

    outcome: Outcome
    reply: str
    failed_recipients: dict[str, str] = field(default_factory=dict)


class Transport(Protocol):
    def send(self, mail_from: str, rcpt_to: list[str], raw: bytes, key: str) -> SendResult:
        """Deliver `raw`; `key` is stable per mail so a repeated send can be recognised."""
        ...
