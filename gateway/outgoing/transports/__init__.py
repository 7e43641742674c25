"""Where outgoing mail goes: the `Transport` contract, its result, and the factory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from gateway.config import Config

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


def make_transport(cfg: Config) -> Transport:
    """The transport `[outgoing]` configures."""
    out = cfg.outgoing
    if out.transport == "smtp":
        from gateway.transport.smtp import SmtpTransport

        return SmtpTransport(
            host=out.host,
            port=out.port,
            starttls=out.starttls,
            ssl=out.ssl,
            username=out.username,
            password=out.password,
            timeout=out.timeout_seconds,
        )
    from gateway.transport.maildir import MaildirTransport

    return MaildirTransport(cfg.path(out.maildir))


__all__ = ["Outcome", "SendResult", "Transport", "make_transport"]
