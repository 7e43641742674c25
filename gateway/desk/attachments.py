"""Attachment limits for mail from anyone who is not an agent: per file, per mail, by type.

A file over a limit is left out (not stored); the rest of the mail is kept and the sender
is told which file was left out and why.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.settings.desk import AttachmentsSection

if TYPE_CHECKING:
    from gateway.parse import ParsedAttachment


@dataclass(frozen=True)
class Refused:
    filename: str
    content_type: str
    size: int
    # "too_large", "total_too_large" or "type_not_allowed"; `limit` in bytes for the first two.
    reason: str
    limit: int = 0

    def as_context(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "reason": self.reason,
            "limit": self.limit,
        }


def type_allowed(limits: AttachmentsSection, filename: str, content_type: str) -> bool:
    if not limits.client_allowed_types:
        return True
    name, ctype = filename.lower(), content_type.lower()
    for pattern in limits.client_allowed_types:
        pattern = pattern.strip().lower()
        if pattern.startswith(".") and name.endswith(pattern):
            return True
        if "/" in pattern and fnmatch.fnmatchcase(ctype, pattern):
            return True
    return False


def screen(
    limits: AttachmentsSection, parts: list[ParsedAttachment]
) -> tuple[list[ParsedAttachment], list[Refused]]:
    """(files to keep, files left out) of a non-agent's mail, in the mail's order."""
    kept: list[ParsedAttachment] = []
    refused: list[Refused] = []
    total = 0
    for part in parts:
        size = len(part.data)
        reason, limit = "", 0
        if not type_allowed(limits, part.filename, part.content_type):
            reason = "type_not_allowed"
        elif limits.client_max_bytes and size > limits.client_max_bytes:
            reason, limit = "too_large", limits.client_max_bytes
        elif limits.client_max_total_bytes and total + size > limits.client_max_total_bytes:
            reason, limit = "total_too_large", limits.client_max_total_bytes
        if reason:
            refused.append(Refused(part.filename, part.content_type, size, reason, limit))
        else:
            kept.append(part)
            total += size
    return kept, refused
