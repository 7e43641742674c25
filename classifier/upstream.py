"""The verdicts of the receiving mail server's own filter, when that server is trusted.

SpamAssassin (``X-Spam-Status``, ``X-Spam-Score``) and rspamd (``X-Rspamd-Score``,
``X-Spamd-Result``) know things this filter cannot: DNS blocklists, the sending IP's
reputation, DKIM and SPF checked at the edge. Anyone can write those headers into a
message, though, and spam does to look clean. They become features only when the site
names its server (``[spam] trusted_authserv_id``) and only from the block of headers that
server added on top of the message: everything above the first Received header whose
``by`` clause names that server. A copy of the same header further down came with the
message from outside and is ignored.
"""

from __future__ import annotations

import email.message
import re

SCORE_HEADERS = ("x-spam-status", "x-spam-score", "x-rspamd-score", "x-spamd-result")
_BY = re.compile(r"\bby\s+([^\s;()]+)", re.I)
_SA_STATUS = re.compile(r"^\s*(yes|no)\b.*?\b(?:score|hits)=(-?\d+(?:\.\d+)?)", re.I | re.S)
_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)")
_RSPAMD_RESULT = re.compile(r"\[\s*(-?\d+(?:\.\d+)?)\s*/\s*(-?\d+(?:\.\d+)?)\s*\]")
_EDGES = (-2.0, 0.0, 2.0, 4.0, 6.0, 10.0, 15.0)


def trusted_block(msg: email.message.Message, authserv_id: str) -> list[tuple[str, str]]:
    """The headers the trusted server added: those above its own Received header.

    Empty when no Received header names the server (then nothing is trusted).
    """
    server = authserv_id.strip().lower()
    if not server:
        return []
    block: list[tuple[str, str]] = []
    for name, value in msg.items():
        if name.lower() == "received":
            by = _BY.search(str(value))
            if by and by.group(1).lower().rstrip(".") == server:
                return block
        block.append((name.lower(), str(value)))
    return []


def _bucket(score: float) -> str:
    for edge in _EDGES:
        if score <= edge:
            return f"<={edge:g}"
    return f">{_EDGES[-1]:g}"


def score_tokens(msg: email.message.Message, authserv_id: str) -> list[str]:
    """``up:`` tokens from the trusted server's score headers (first of each name)."""
    seen: dict[str, str] = {}
    for name, value in trusted_block(msg, authserv_id):
        if name in SCORE_HEADERS and name not in seen:
            seen[name] = " ".join(value.split())
    tokens: list[str] = []
    status = _SA_STATUS.match(seen.get("x-spam-status", ""))
    if status:
        tokens.append("up:sa=" + status.group(1).lower())
        tokens.append("up:sa_score" + _bucket(float(status.group(2))))
    elif "x-spam-score" in seen and (number := _NUMBER.search(seen["x-spam-score"])):
        tokens.append("up:sa_score" + _bucket(float(number.group(1))))
    result = seen.get("x-spamd-result", "")
    pair = _RSPAMD_RESULT.search(result)
    if pair:
        score, required = float(pair.group(1)), float(pair.group(2))
        tokens.append("up:rspamd_score" + _bucket(score))
        tokens.append("up:rspamd=" + ("yes" if score >= required else "no"))
    elif "x-rspamd-score" in seen and (number := _NUMBER.search(seen["x-rspamd-score"])):
        tokens.append("up:rspamd_score" + _bucket(float(number.group(1))))
    return tokens
