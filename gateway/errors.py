"""Exceptions of the gateway, named by condition, with structured fields."""

from __future__ import annotations


class HelpdeskError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigError(HelpdeskError):
    """The configuration has problems; `problems` lists each with its key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class StoreUnavailable(HelpdeskError):
    """The spool could not commit a message (database down, disk full, read-only)."""


class MessageRejected(HelpdeskError):
    """Intake refuses a message for a reason that is the sender's (size, recipient)."""

    def __init__(self, reason: str, code: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class UnknownTicket(HelpdeskError):
    """A ticket id or tag names no ticket."""


class UnknownUser(HelpdeskError):
    """An email address names no known user where one is required."""


class StopProcessing(BaseException):
    """A handler decided the message goes no further; `reason` goes into its trace.

    A BaseException so that no `except Exception` in a handler can swallow it.
    `state` is the final state of the spooled message ("done", "ignored", "duplicate").
    """

    def __init__(self, reason: str, state: str = "ignored") -> None:
        super().__init__(reason)
        self.reason = reason
        self.state = state
