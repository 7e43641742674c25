"""Uuencoded blocks inside plain-text bodies: cut them out and return them as files."""

from __future__ import annotations

import binascii
import re

_BLOCK = re.compile(
    r"^begin [0-7]{3,4} ([^\r\n]+)\r?\n(.*?)^end[ \t]*$\r?\n?",
    re.MULTILINE | re.DOTALL,
)


def _decode_line(line: str) -> bytes:
    if not line:
        return b""
    try:
        return binascii.a2b_uu(line)
    except binascii.Error:
        # Some encoders pad wrongly; the length byte tells how much is real.
        nbytes = (((ord(line[0]) - 32) & 63) * 4 + 5) // 3
        try:
            return binascii.a2b_uu(line[:nbytes])
        except binascii.Error:
            return b""


def extract_uuencoded(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Return ``text`` without its uuencoded blocks, and the blocks as (name, data)."""
    if "begin " not in text:
        return text, []
    files: list[tuple[str, bytes]] = []

    def take(match: re.Match[str]) -> str:
        lines = match.group(2).splitlines()
        data = b"".join(_decode_line(line.rstrip("\r")) for line in lines if line != "`")
        files.append((match.group(1).strip(), data))
        return ""

    remaining = _BLOCK.sub(take, text)
    return remaining, files
