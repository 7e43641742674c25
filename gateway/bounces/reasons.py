"""A reason in sisimai's vocabulary from a status code (RFC 3463) and the diagnostic text.

The text decides when it is specific (a full mailbox reported with a generic 5.0.0); the
status code decides when the text says nothing known; a known class of the code that
the text contradicts (5.1.1 with "mailbox full") yields to the text, as sisimai does.
"""

from __future__ import annotations

import re

from gateway.bounces.patterns import matches

# RFC 3463 / RFC 5248 codes with one meaning (the subject.detail part, for 4.x and 5.x).
STATUS: dict[str, str] = {
    "1.0": "userunknown", "1.1": "userunknown", "1.2": "hostunknown", "1.3": "userunknown",
    "1.4": "filtered", "1.6": "hasmoved", "1.7": "rejected", "1.8": "rejected",
    "1.9": "systemerror", "1.10": "notaccept",
    "2.0": "filtered", "2.1": "filtered", "2.2": "mailboxfull", "2.3": "exceedlimit",
    "2.4": "filtered",
    "3.0": "systemerror", "3.1": "systemfull", "3.2": "notaccept", "3.3": "systemerror",
    "3.4": "mesgtoobig", "3.5": "systemerror",
    "4.0": "networkerror", "4.1": "expired", "4.2": "networkerror", "4.3": "systemerror",
    "4.4": "networkerror", "4.5": "toomanyconn", "4.6": "networkerror", "4.7": "expired",
    "5.3": "toomanyconn", "5.4": "systemerror", "5.5": "systemerror", "5.6": "securityerror",
    "6.0": "contenterror", "6.1": "contenterror", "6.2": "contenterror", "6.3": "contenterror",
    "6.5": "contenterror", "6.6": "contenterror", "6.7": "contenterror", "6.8": "contenterror",
    "6.9": "contenterror",
    "7.0": "securityerror", "7.1": "blocked", "7.2": "blocked", "7.3": "securityerror",
    "7.4": "securityerror", "7.5": "securityerror", "7.6": "securityerror",
    "7.7": "securityerror", "7.8": "securityerror", "7.9": "securityerror",
    "7.10": "securityerror", "7.11": "securityerror", "7.13": "suspend",
    "7.14": "securityerror", "7.15": "securityerror", "7.16": "mesgtoobig",
    "7.17": "hasmoved", "7.18": "hasmoved", "7.20": "authfailure", "7.21": "authfailure",
    "7.22": "authfailure", "7.23": "authfailure", "7.24": "authfailure",
    "7.25": "requireptr", "7.26": "authfailure", "7.27": "notaccept",
}  # fmt: skip
# Temporary codes that differ from their permanent twins.
TEMPORARY: dict[str, str] = {"2.1": "suspend", "1.1": "userunknown"}

# The order the text is tried in: specific conditions before the broad ones that also
# appear in their texts ("quota exceeded" before "rejected", "spam" before "blocked").
ORDER = (
    "mailboxfull", "mesgtoobig", "exceedlimit", "suspend", "hasmoved", "norelaying",
    "virusdetected", "spamdetected", "policyviolation", "requireptr", "badreputation",
    "authfailure", "speeding", "userunknown", "filtered", "rejected", "hostunknown",
    "notaccept", "toomanyconn", "blocked", "securityerror", "systemfull", "expired",
    "networkerror", "systemerror", "contenterror", "mailererror", "syntaxerror",
)  # fmt: skip
# Codes that name a class too broad to stand against a specific text.
_GENERIC = {"0.0", "0", "7.0", "3.0", "5.0", "4.0", "1.0", "2.0", "7.1"}
HARD = {"userunknown", "hostunknown", "hasmoved"}
_STATUS_RE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


def status_reason(status: str) -> str | None:
    """The reason a status code names by itself, or None (2.x.x is `delivered`)."""
    m = _STATUS_RE.search(status or "")
    if m is None:
        return None
    klass, subject, detail = m.groups()
    if klass == "2":
        return "delivered"
    key = f"{subject}.{detail}"
    if klass == "4" and key in TEMPORARY:
        return TEMPORARY[key]
    return STATUS.get(key)


def classify(status: str, diagnostic: str, command: str = "") -> str:
    """The reason for one failed recipient; 'undefined' when nothing tells.

    `command` is the SMTP command the remote server answered (RCPT, MAIL, DATA, CONN),
    when the report says: an unknown user refused after DATA is a content filter's
    doing (`filtered`), at RCPT a missing mailbox.
    """
    text = " ".join(diagnostic.lower().split())
    by_code = status_reason(status)
    if by_code == "delivered":
        return by_code
    m = _STATUS_RE.search(status or "")
    generic = m is None or f"{m.group(2)}.{m.group(3)}" in _GENERIC or by_code is None
    for reason in ORDER:
        if not matches(reason, text):
            continue
        if reason == "userunknown":
            reason = _unknown_user(by_code, command)
        if generic or _text_wins(by_code, reason) or (reason, command) == ("userunknown", "RCPT"):
            return reason
        break
    if by_code is not None:
        return by_code
    if command == "MAIL" and text:
        return "rejected"
    if command in ("CONN", "HELO", "EHLO") and text:
        return "blocked"  # refused before any address was given: the sending host was
    return "undefined"


def _unknown_user(by_code: str | None, command: str) -> str:
    """'user unknown' in the text: at RCPT or with a 5.1.x code the mailbox is missing;
    after DATA, or with a mailbox-status code (5.2.x), a filter refused the mail."""
    if by_code == "userunknown" or command == "RCPT":
        return "userunknown"
    if by_code == "filtered" or command == "DATA":
        return "filtered"
    return "userunknown"


def _text_wins(by_code: str | None, by_text: str) -> bool:
    """A specific text against a specific code: the text tells the narrower story
    ("5.1.1 ... mailbox full", "5.2.1 account disabled")."""
    if by_code == by_text or (by_code, by_text) == ("userunknown", "filtered"):
        return True
    return by_text in ("mailboxfull", "suspend", "spamdetected", "virusdetected", "mesgtoobig")


def is_hard(reason: str, status: str) -> bool:
    """A hard bounce: the address will not work tomorrow either."""
    if reason in HARD:
        return True
    return reason == "notaccept" and status.startswith("5")
