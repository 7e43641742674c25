"""Exceptions of IMAP intake, named by condition, each carrying the mailbox name."""

from __future__ import annotations

from gateway.errors import HelpdeskError


class ImapIntakeError(HelpdeskError):
    """Base of IMAP intake faults; `mailbox` names the configured mailbox."""

    def __init__(self, mailbox: str, reason: str) -> None:
        super().__init__(f"{mailbox}: {reason}")
        self.mailbox = mailbox
        self.reason = reason


class MailboxUnavailable(ImapIntakeError):
    """The server could not be reached, or the connection broke."""


class LoginRefused(ImapIntakeError):
    """The server rejected the credentials (password or XOAUTH2 token)."""


class TokenUnavailable(ImapIntakeError):
    """The XOAUTH2 token file or command gave no token."""


class MessageUnavailable(ImapIntakeError):
    """The server could not deliver one message whole (no body, or a NO to its FETCH)."""

    def __init__(self, mailbox: str, uid: int, reason: str) -> None:
        super().__init__(mailbox, f"UID {uid}: {reason}")
        self.uid = uid


class CheckpointMoved(ImapIntakeError):
    """The stored checkpoint changed under this poller (another daemon polled the box)."""
