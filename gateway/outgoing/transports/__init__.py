"""Where outgoing mail goes: the transport `[outgoing]` configures (contract: `contract`)."""

from __future__ import annotations

from gateway.outgoing.transports.contract import Outcome, SendResult, Transport
from gateway.outgoing.transports.maildir import MaildirTransport
from gateway.outgoing.transports.smtp import SmtpTransport
from gateway.settings.config import Config


def make_transport(cfg: Config) -> Transport:
    """The transport `[outgoing]` configures."""
    out = cfg.outgoing
    if out.transport == "smtp":
        return SmtpTransport(
            host=out.host,
            port=out.port,
            starttls=out.starttls,
            ssl=out.ssl,
            username=out.username,
            password=out.password,
            timeout=out.timeout_seconds,
            local_hostname=out.ehlo_hostname or None,
        )
    return MaildirTransport(cfg.path(out.maildir))


__all__ = ["Outcome", "SendResult", "Transport", "make_transport"]
