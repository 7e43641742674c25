"""Authentication-Results (RFC 8601): the verdicts a trusted receiving server recorded."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    method: str  # dkim, spf, dmarc, ...
    result: str  # pass, fail, none, ...
    properties: dict[str, str]  # header.d, header.i, smtp.mailfrom, header.from, ...


def _strip_comments(value: str) -> str:
    # Comments may nest one level in practice: "(1024-bit key; unprotected)".
    previous = None
    while previous != value:
        previous = value
        value = re.sub(r"\([^()]*\)", " ", value)
    return value


def parse(value: str) -> tuple[str, list[Verdict]]:
    """('authserv-id', verdicts) of one Authentication-Results header value."""
    parts = [p.strip() for p in _strip_comments(value).split(";")]
    authserv = parts[0].split()[0].lower() if parts and parts[0].split() else ""
    verdicts = []
    for part in parts[1:]:
        tokens = part.split()
        if not tokens or "=" not in tokens[0]:
            continue
        method, _, result = tokens[0].partition("=")
        props = {}
        for token in tokens[1:]:
            key, eq, val = token.partition("=")
            if eq:
                props[key.lower()] = val.strip('"').lower()
        verdicts.append(Verdict(method.lower(), result.lower(), props))
    return authserv, verdicts


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment (DMARC): the same domain or one a subdomain of the other."""
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    return bool(domain) and (
        domain == from_domain
        or domain.endswith("." + from_domain)
        or from_domain.endswith("." + domain)
    )


def aligned_pass(headers: list[str], authserv_id: str, from_domain: str) -> str | None:
    """The verdict that authenticates `from_domain` ('dkim' or 'spf'), or None.

    Only the topmost header of the trusted server counts: it prepends its own, and a
    sender can forge any number of older-looking ones below it.
    """
    for value in headers:
        authserv, verdicts = parse(value)
        if authserv != authserv_id.lower():
            continue
        for v in verdicts:
            if v.result != "pass":
                continue
            if v.method == "dkim":
                signer = (
                    v.properties.get("header.d")
                    or v.properties.get("header.i", "").rpartition("@")[2]
                )
                if _aligned(signer, from_domain):
                    return "dkim"
            if v.method == "spf":
                mailfrom = v.properties.get("smtp.mailfrom", "")
                domain = mailfrom.rpartition("@")[2] or v.properties.get("smtp.helo", "")
                if _aligned(domain, from_domain):
                    return "spf"
        return None
    return None
