"""The helpdesk's own addresses: which recipients are intake, which senders are ourselves."""

from __future__ import annotations

import re
from email.utils import parseaddr

from gateway.settings.config import Config

# local@domain with nothing parseaddr would change: no display name, comment or quotes.
_PLAIN = re.compile(r"[^\s<>()\[\]\",;:\\@]+@[^\s<>()\[\]\",;:\\@]+")


def split_address(address: str) -> tuple[str, str, str]:
    """'Support+Tok@Example.COM' -> ('support', 'Tok', 'example.com')."""
    address = address.strip().strip("<>")
    local, _, domain = address.rpartition("@")
    base, _, detail = local.partition("+")
    return base.lower(), detail, domain.lower()


class AddressBook:
    """Answers questions about addresses against the configured intake addresses."""

    def __init__(self, cfg: Config) -> None:
        self._intake = {self._key(a) for a in cfg.intake_addresses}
        self._own = self._intake | {self._key(a) for a in cfg.helpdesk.own_addresses}
        self.primary = cfg.helpdesk.address

    @staticmethod
    def _key(address: str) -> tuple[str, str]:
        base, _, domain = split_address(address)
        return base, domain

    def is_intake(self, address: str) -> bool:
        """True for an intake address or its `+detail` form, in any letter case."""
        if "@" not in address:
            return False
        return self._key(address) in self._intake

    def is_own(self, address: str) -> bool:
        """True for any address this helpdesk sends as (mail from it must be ignored)."""
        # Most callers pass a parsed addr-spec already; parseaddr is costly enough to
        # matter for a mail with thousands of recipients, so it is kept for the rest.
        email = address if _PLAIN.fullmatch(address) else parseaddr(address)[1]
        if "@" not in email:
            return False
        return self._key(email) in self._own

    def detail(self, address: str) -> str | None:
        """The `+detail` of an intake address, None if it is not one or has none."""
        if not self.is_intake(address):
            return None
        _, detail, _ = split_address(address)
        return detail or None
