"""Errors of the service-desk rules, with structured fields for receipts and the CLI."""

from __future__ import annotations

from gateway.errors import HelpdeskError


class InvalidValue(HelpdeskError):
    """A status, level, category or grade that the configuration does not know."""

    def __init__(self, what: str, value: str, allowed: list[str]) -> None:
        super().__init__(f"unknown {what} {value!r}; allowed: {', '.join(allowed)}")
        self.what = what
        self.value = value
        self.allowed = allowed
