"""Header values that are safe to write: normalised addresses, ASCII Message-IDs, no
control characters.

An address is one mailbox whether its domain is written in Unicode or in punycode
(`почта.рф` and `xn--80a1acny.xn--p1ai`): addresses are normalised to lowercase with
an ASCII (IDNA) domain when they are parsed, so that one person is one user and the
domain goes out in the form every relay understands. A non-ASCII local part has no
ASCII form: it stays, and only an SMTPUTF8 relay can take it.
"""

from __future__ import annotations

import re

# C0 controls, DEL and the C1 range: none of them belongs in a header (a NUL in a
# Subject, a bare CR that would end the header block); TAB becomes a space.
_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
# A Message-ID we may repeat in References: printable ASCII, no brackets or spaces.
_SAFE_ID = re.compile(r"^[!-;=?-~]{1,250}$")


def ascii_domain(domain: str) -> str:
    """`domain` in lowercase ASCII (IDNA punycode when it is not ASCII); as given when it
    cannot be encoded (then it is no valid domain anyway)."""
    domain = domain.strip().rstrip(".").lower()
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def normalise_address(address: str) -> str:
    """A mailbox in its one stored form: lowercase, the domain in ASCII."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return address.strip().lower()
    return f"{local.lower()}@{ascii_domain(domain)}"


def needs_smtputf8(address: str) -> bool:
    """Whether the address (normalised) can travel only over SMTPUTF8."""
    return not address.isascii()


def strip_controls(value: str) -> str:
    """`value` without control characters (tabs become spaces)."""
    return _CONTROLS.sub("", value.replace("\t", " "))


def repeatable_id(message_id: str) -> str | None:
    """`message_id` (without brackets) if it may be written into our References or
    In-Reply-To; None for a non-ASCII or malformed id (dropped: a raw 8-bit id would
    make our own header invalid, and re-encoding it would name a different message)."""
    mid = message_id.strip().strip("<>").strip()
    return mid if "@" in mid and _SAFE_ID.match(mid) else None
