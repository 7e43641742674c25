"""`helpdesk deliver`: one message on stdin from an MTA pipe transport, spooled durably.

Exit codes follow sysexits(3), which MTAs map to bounce (5xx) or retry (4xx) decisions.
"""

from __future__ import annotations

import logging
from typing import BinaryIO

from gateway import spool
from gateway.addresses import AddressBook
from gateway.settings.config import Config
from gateway.store.db import Database

log = logging.getLogger(__name__)

EX_OK = 0
EX_DATAERR = 65
EX_NOUSER = 67
EX_TEMPFAIL = 75


class DeliveryResult:
    def __init__(self, code: int, message: str, row_id: int | None = None) -> None:
        self.code = code
        self.message = message
        self.row_id = row_id


def read_limited(stream: BinaryIO, limit: int) -> bytes | None:
    """Read all of `stream`, or None as soon as it proves longer than `limit` bytes."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(1 << 16)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)


def deliver(
    cfg: Config,
    db: Database,
    raw: bytes | None,
    recipients: list[str],
    sender: str = "",
) -> DeliveryResult:
    """Validate and spool one message; the result's code is the process exit code."""
    if raw is None:
        return DeliveryResult(
            EX_DATAERR, f"message exceeds the size limit of {cfg.smtp.max_message_size} bytes"
        )
    if not raw.strip():
        return DeliveryResult(EX_DATAERR, "empty message on standard input")
    book = AddressBook(cfg)
    unknown = [r for r in recipients if not book.is_intake(r)]
    if unknown:
        return DeliveryResult(EX_NOUSER, f"no such mailbox here: {', '.join(unknown)}")
    try:
        with db.write() as session:
            row = spool.store(session, raw, source="deliver", mail_from=sender, rcpt_to=recipients)
            row_id = row.id
    except Exception as exc:  # database down, locked past the timeout, disk full, read-only
        log.error("deliver: could not store the message: %s", exc)
        return DeliveryResult(EX_TEMPFAIL, f"could not store the message, try again later: {exc}")
    return DeliveryResult(EX_OK, f"stored as #{row_id}", row_id)
