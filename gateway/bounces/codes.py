"""Status codes (RFC 3463), SMTP reply codes (RFC 5321) and commands in a bounce's text.

`find_status` picks the enhanced status code a diagnostic gives ("550 5.1.1 ...", "#5.7.1"),
`prefer` chooses between it and the DSN's Status field, `find_reply` the basic reply code,
`find_command` the SMTP command the remote server was answering, and `status_reason` the
reason a code names by itself. The table and the rules of choice follow sisimai's
(BSD-2-Clause), so that the verdicts agree with its.
"""

from __future__ import annotations

import re
from functools import reduce

# The reason each code names by itself (IANA's registry; the detail matters: 5.7.1 is a
# policy refusal, 4.7.1 mostly a temporary block, 5.2.1 a disabled mailbox).
STATUS: dict[str, str] = {
    "2.1.5": "delivered",
    "4.1.6": "hasmoved", "4.1.7": "rejected", "4.1.8": "rejected", "4.1.9": "systemerror",
    "4.2.1": "blocked", "4.2.2": "mailboxfull", "4.2.3": "exceedlimit", "4.2.4": "filtered",
    "4.3.1": "systemfull", "4.3.2": "notaccept", "4.3.3": "systemerror", "4.3.5": "systemerror",
    "4.4.1": "expired", "4.4.2": "networkerror", "4.4.3": "systemerror", "4.4.4": "networkerror",
    "4.4.5": "systemfull", "4.4.6": "networkerror", "4.4.7": "expired", "4.4.8": "networkerror",
    "4.5.3": "systemerror", "4.5.5": "systemerror",
    "4.6.0": "contenterror", "4.6.2": "contenterror", "4.6.5": "contenterror",
    "4.7.1": "blocked", "4.7.2": "blocked", "4.7.5": "securityerror", "4.7.6": "securityerror",
    "4.7.7": "securityerror", "4.7.12": "securityerror", "4.7.15": "securityerror",
    "4.7.16": "mesgtoobig", "4.7.24": "authfailure", "4.7.25": "requireptr",
    "4.7.26": "authfailure",
    "5.1.0": "userunknown", "5.1.1": "userunknown", "5.1.2": "hostunknown", "5.1.3": "userunknown",
    "5.1.4": "filtered", "5.1.6": "hasmoved", "5.1.7": "rejected", "5.1.8": "rejected",
    "5.1.9": "systemerror", "5.1.10": "notaccept",
    "5.2.0": "filtered", "5.2.1": "filtered", "5.2.2": "mailboxfull", "5.2.3": "exceedlimit",
    "5.2.4": "filtered",
    "5.3.0": "systemerror", "5.3.1": "systemfull", "5.3.2": "notaccept", "5.3.3": "systemerror",
    "5.3.4": "mesgtoobig", "5.3.5": "systemerror",
    "5.4.0": "networkerror", "5.4.3": "systemerror", "5.4.4": "hostunknown",
    "5.5.2": "syntaxerror", "5.5.3": "toomanyconn", "5.5.4": "systemerror", "5.5.5": "systemerror",
    "5.5.6": "syntaxerror",
    "5.6.0": "contenterror", "5.6.1": "contenterror", "5.6.2": "contenterror",
    "5.6.3": "contenterror", "5.6.5": "contenterror", "5.6.6": "contenterror",
    "5.6.7": "contenterror", "5.6.8": "contenterror", "5.6.9": "contenterror",
    "5.7.0": "securityerror", "5.7.1": "securityerror", "5.7.2": "securityerror",
    "5.7.3": "securityerror", "5.7.4": "securityerror", "5.7.5": "securityerror",
    "5.7.6": "securityerror", "5.7.7": "securityerror", "5.7.8": "securityerror",
    "5.7.9": "securityerror", "5.7.10": "securityerror", "5.7.11": "securityerror",
    "5.7.13": "suspend", "5.7.14": "securityerror", "5.7.15": "securityerror",
    "5.7.16": "mesgtoobig", "5.7.17": "hasmoved", "5.7.18": "hasmoved", "5.7.19": "securityerror",
    "5.7.20": "authfailure", "5.7.21": "authfailure", "5.7.22": "authfailure",
    "5.7.23": "authfailure", "5.7.24": "authfailure", "5.7.25": "requireptr",
    "5.7.26": "authfailure", "5.7.27": "notaccept", "5.7.28": "spamdetected",
    "5.7.29": "authfailure",
}  # fmt: skip

# Reply codes in the order they are looked for (the specific before the general).
_REPLIES: dict[str, tuple[str, ...]] = {
    "2": ("211", "214", "220", "221", "235", "250", "251", "252", "253", "334", "354"),
    "4": ("421", "450", "451", "452", "422", "430", "432", "453", "454", "455", "458", "459"),
    "5": (
        "550", "552", "553", "551", "521", "525", "523", "524", "530", "533", "534", "535",
        "538", "555", "556", "554", "500", "501", "502", "503", "504",
    ),
}  # fmt: skip
# Commands as they appear in MTAs' texts; later ones in this list are later in a session.
_COMMANDS = (
    "HELO", "EHLO", "STARTTLS", "AUTH PLAIN", "AUTH LOGIN", "AUTH CRAM-", "AUTH DIGEST-",
    "MAIL F", "RCPT", "RCPT T", "DATA", "QUIT", "XFORWARD",
)  # fmt: skip
_CODE_RE = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")
_CANDIDATE = re.compile(r"([245])\.([0-7])\.(\d{1,3})(?!\d)")
_IPV4 = re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")


def status_reason(status: str) -> str:
    """The reason `status` names by itself, or "" (internal 5.0.9xx codes name none)."""
    return STATUS.get(status.strip(), "")


def is_code(status: str) -> bool:
    return bool(_CODE_RE.match(status.strip()))


def find_status(text: str, klass: str = "") -> str:
    """The enhanced status code in a diagnostic text ("" when none); of class `klass` when given.

    Version numbers ("V5.1.1") and IPv4 addresses are not codes; the generic x.0.0 and the
    ambiguous 4.4.7 are kept only when nothing more specific is said."""
    masked = " " + _IPV4.sub("***.***.***.***", text) + "   "
    found: list[str] = []
    generic = ""
    for m in _CANDIDATE.finditer(masked):
        before = masked[m.start() - 1]
        if before.isdigit() or before in "./vV":
            continue
        if klass in ("2", "4", "5") and m.group(1) != klass:
            continue
        code = m.group(0)
        if code.endswith(".0.0") or code == "4.4.7":
            generic = code
            continue
        found.append(code)
    if generic:
        found.append(generic)
    if not found:
        return ""
    return reduce(lambda a, b: prefer(a, b, ""), found)


def prefer(field: str, said: str, reply: str) -> str:
    """The code to keep of the Status field's (`field`) and the diagnostic's (`said`):
    the one whose class the reply code agrees with, else the more specific."""
    if not field:
        return said
    if not said:
        return field
    if len(field) < 5:
        return said
    if len(said) < 5:
        return field
    if reply and field[0] != said[0]:
        if reply[0] == field[0]:
            return field
        if reply[0] == said[0]:
            return said
    if field == said:
        return field
    if ".0.0" in field:
        return said if ".0.0" not in said else field
    if ".0" in field and ".0" not in said:
        return said
    if ".0.0" in said:
        return field
    if (
        field in ("4.4.7", "4.7.0")
        or field.startswith("5.3.")
        or field[1:4]
        in (
            ".5.1",
            ".5.2",
            ".5.4",
            ".5.5",
        )
    ):
        return said
    if field == "5.1.1":
        return field if ".0" in said or said.startswith("5.5.") else said
    if field == "5.1.3" and said.startswith("5.7."):
        return said
    return field


def find_reply(text: str, status: str = "") -> str:
    """The SMTP reply code in `text` ("" when none), of the class of `status` when given."""
    if len(text) < 3 or "X-UNIX" in text.upper():
        return ""
    klass = status[:1]
    order = _REPLIES[klass] if klass in _REPLIES else _REPLIES["5"] + _REPLIES["4"] + _REPLIES["2"]
    padded = f" {text} "
    for code in order:
        for m in re.finditer(re.escape(code), padded):
            before, after = padded[m.start() - 1], padded[m.end()]
            if before.isdigit() or before in "./" or after.isdigit() or after in "./":
                continue
            return code
    return ""


def find_command(text: str) -> str:
    """The SMTP command an MTA's text names (upper case as MTAs write it), the latest in a
    session when it names several; "" when none."""
    padded = f" {text} "
    seen: list[str] = []
    for word in _COMMANDS:
        at = text.find(word)
        if at < 0:
            continue
        if " " not in word:
            before, after = padded[at], padded[at + len(word) + 1]
            if before.isalnum() or before in "@`" or after.isalnum() or after in "@`":
                continue  # part of an address or a host name (DATABASE@..., EMAIL.EXAMPLE)
        head = word[:4]
        if any(head.startswith(s) for s in seen):
            continue
        seen.append({"STAR": "STARTTLS", "XFOR": "XFORWARD"}.get(head, head))
    return seen[-1] if seen else ""
