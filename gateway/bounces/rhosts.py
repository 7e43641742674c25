"""The reason a receiving service's own code or wording gives, when it is that service.

The service is told by the recipient's domain, or by the remote host named in the report
(Remote-MTA, or a host name in the diagnostic such as "mta6.am0.yahoodns.net"). Its
verdict comes before the generic patterns: "LPN007_416" is an unknown user at La Poste
whatever else the sentence says.
"""

from __future__ import annotations

import re

from gateway.bounces.rhost_rules import (
    COX_CODES,
    FRANCEPTT_CODES,
    GODADDY_CODES,
    HOSTS,
    MESSAGES,
    SPECTRUM_CODES,
)

_HOSTNAME = re.compile(r"(?<![\w.-])((?:[a-z0-9-]+\.)+[a-z]{2,})(?![\w-])", re.I)
_FRANCEPTT_LABEL = re.compile(r"(?:lpn|ofr|ouk)[\w-]*")


def service(recipient: str, hosts: list[str], diagnostic: str) -> str:
    """The service a failure comes from ("" when none known): by the recipient's domain,
    then by the remote hosts the report and its diagnostic name."""
    domain = recipient.rpartition("@")[2].lower()
    if domain:
        for name, suffixes in HOSTS.items():
            if any(s.endswith(domain) for s in suffixes):
                return name
    candidates = [h.lower() for h in hosts] + [h.lower() for h in _HOSTNAME.findall(diagnostic)]
    for host in candidates:
        for name, suffixes in HOSTS.items():
            if any(host.endswith(s) for s in suffixes):
                return name
    return ""


def service_reason(
    name: str, diagnostic: str, text: str = "", status: str = "", command: str = ""
) -> str:
    """The reason service `name` gives in `diagnostic` (its codes as written; its phrases
    in `text`, the diagnostic unfolded and lower-cased, when given), or "". `status` and
    `command` are the failure's status code and refused SMTP command, where known."""
    if not name or not diagnostic:
        return ""
    found = _by_code(name, diagnostic)
    if found:
        return found
    if name == "nttdocomo":
        found = _docomo(status, command, text or diagnostic.lower())
        if found:
            return found
    text = text or diagnostic.lower()
    for reason, phrases in MESSAGES.get(name, {}).items():
        if any(p in text for p in phrases):
            return reason
    return ""


def _by_code(name: str, diagnostic: str) -> str:
    if name == "franceptt":
        labels = _FRANCEPTT_LABEL.findall(diagnostic.lower().replace("_", "-"))
        if not labels:
            return ""
        return next((r for code, r in FRANCEPTT_CODES.items() if labels[-1].endswith(code)), "")
    if name == "cox":
        label = diagnostic.partition("AUP#")[2].split(" ")[0]
        return COX_CODES.get(label.rstrip(".,;)"), "")
    if name == "godaddy":
        m = re.search(r" (IB\d{3})\b", diagnostic)
        return GODADDY_CODES.get(m.group(1), "") if m else ""
    if name == "spectrum":
        m = re.search(r"AUP#\D*(\d{4})", diagnostic)
        if m is None:
            return ""
        number = int(m.group(1))
        return next((r for low, high, r in SPECTRUM_CODES if low <= number <= high), "")
    return ""


def _docomo(status: str, command: str, text: str) -> str:
    """NTT docomo says "550 Unknown user" for both a missing mailbox (at RCPT) and its
    own filter's refusal (after DATA); the status code or the command tells which."""
    if status in ("5.1.1", "5.0.911"):
        return "userunknown"
    if status == "5.2.0":
        return "filtered"
    for reason, phrases in MESSAGES["nttdocomo"].items():
        if any(p in text for p in phrases):
            return reason
    if status == "5.0.0":
        return {"RCPT": "userunknown", "DATA": "rejected"}.get(command, "")
    return ""
