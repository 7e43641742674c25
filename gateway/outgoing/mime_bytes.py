"""Serialising composed messages: 7-bit bytes with CRLF line endings.

`to_bytes` writes the trees `gateway.outgoing.compose.build` makes (multipart containers around
ASCII text and base64 parts) directly, producing the same bytes as the stdlib's compat32
`BytesGenerator` with our header writer; the helpdesk serialises a few mails per ticket
and the generator's per-part cloning and buffering were most of that cost. Any other
tree (message/* parts, preambles, non-ASCII payloads, missing boundaries) goes through
the generator itself, so the output never depends on which path was taken.
"""

from __future__ import annotations

import io
import re
from email import policy
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from typing import BinaryIO

# CRLF line endings; header values are encoded by gateway.outgoing.compose, so the generator must
# not refold them; bodies are 7-bit (base64 or ASCII): relays without 8BITMIME exist.
POLICY = policy.compat32.clone(linesep="\r\n", max_line_length=0)

# What the compat32 generator does to bodies: "From " at a line start is escaped
# (mbox safety), and every line ending becomes CRLF.
_FROM_LINE = re.compile(r"^From ", re.MULTILINE)
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _crlf(payload: str) -> str:
    """The body as the generator writes it: "From " lines escaped, CRLF line endings.

    The regular expressions run only where they can change something: most bodies
    (base64 above all) have no "From " and no CR, and a plain replace is several times
    faster than a substitution over every line.
    """
    if "From " in payload:
        payload = _FROM_LINE.sub(">From ", payload)
    if "\r" in payload:
        return _NEWLINE.sub("\r\n", payload)
    return payload.replace("\n", "\r\n")


def _header_lines(msg: Message, out: list[str]) -> None:
    for name, value in msg.raw_items():
        text = value.encode(linesep="\r\n") if isinstance(value, Header) else str(value)
        out.append(f"{name}: {text}\r\n")
    out.append("\r\n")


class _Generator(BytesGenerator):
    """Writes header values as they are: `build` encoded and folded them already.

    The compat32 generator would re-fold every value through email.header.Header, which
    costs two thirds of the serialisation and can only undo our folding.
    """

    def _write_headers(self, msg: Message) -> None:
        out: BinaryIO = self._fp  # type: ignore[attr-defined]
        lines: list[str] = []
        _header_lines(msg, lines)
        # UTF-8 only for an address with a non-ASCII local part (RFC 6532); the rest of
        # a header block is ASCII, which UTF-8 leaves as it is.
        out.write("".join(lines).encode("utf-8", "surrogateescape"))


def _direct(msg: Message, out: list[str]) -> bool:
    """Append `msg` as the generator would write it; False for what this does not cover."""
    maintype = msg.get_content_maintype()
    if maintype == "message" or msg.is_multipart() != (maintype == "multipart"):
        # The generator has handlers of its own for message/* parts, writes a container's
        # string payload verbatim and refuses a leaf's list payload.
        return False
    payload = msg.get_payload()
    body: list[str] = []
    if maintype == "multipart":
        boundary = msg.get_boundary()
        if not boundary or msg.preamble is not None or msg.epilogue is not None:
            return False
        assert isinstance(payload, list)
        body.append(f"--{boundary}\r\n")
        for i, part in enumerate(payload):
            if i:
                body.append(f"\r\n--{boundary}\r\n")
            if not isinstance(part, Message) or not _direct(part, body):
                return False
        body.append(f"\r\n--{boundary}--\r\n")
    elif payload is not None:
        # Non-ASCII text (8-bit or surrogate-escaped bytes) is the generator's business.
        if not isinstance(payload, str) or not payload.isascii():
            return False
        body.append(_crlf(payload))
    _header_lines(msg, out)
    out.extend(body)
    return True


def to_bytes(msg: Message) -> bytes:
    """The message as 7-bit bytes with CRLF line endings (SMTP DATA and Maildir alike)."""
    out: list[str] = []
    if _direct(msg, out):
        return "".join(out).encode("utf-8", "surrogateescape")
    buf = io.BytesIO()
    _Generator(buf, policy=POLICY).flatten(msg)
    return buf.getvalue()
