"""A MIME part's payload decoded as a mail client would show it, damaged encodings included."""

from __future__ import annotations

import base64
import binascii
import email.message
import re

_B64_LINE = re.compile(rb"^[A-Za-z0-9+/]+={0,2}$")


def decoded_payload(part: email.message.Message) -> object:
    """The decoded payload of a part; base64 decoded up to its first line that is not.

    A mailing list that appends its footer to a base64 body leaves a payload the email
    package cannot decode: it hands back the encoded text, words no reader sees (in the
    SpamAssassin corpus, list spam whose only words were its footer's). Then the encoded
    lines are decoded and the footer is kept as it is. Payloads the email package did
    decode are left as they are.
    """
    payload = part.get_payload(decode=True)
    raw = part.get_payload()
    if (
        str(part.get("Content-Transfer-Encoding", "")).strip().lower() != "base64"
        or not isinstance(raw, str)
        or not isinstance(payload, bytes)
    ):
        return payload
    encoded = raw.encode("ascii", "replace")
    start = encoded.lstrip()[:24]
    if not start or not payload.startswith(start):  # decoded
        return payload
    lines = encoded.splitlines()
    n = width = 0
    while n < len(lines) and (not lines[n].strip() or _B64_LINE.match(lines[n].strip())):
        line = lines[n].strip()
        n += 1
        if line and not width:
            width = len(line)
        elif line and len(line) < width:
            break  # an encoder writes lines of one width: a shorter one is the last
    tail = lines[n:]
    head = b"".join(line.strip() for line in lines[:n])
    if not any(line.strip() for line in tail):  # all base64: the email package's reading
        return payload
    try:
        decoded = base64.b64decode(head[: len(head) // 4 * 4])
    except (binascii.Error, ValueError):
        return payload
    return decoded + b"\n" + b"\n".join(tail)
