"""`helpdesk deliver`: one message on stdin from an MTA pipe transport, spooled durably.

Exit codes follow sysexits(3), which MTAs map to bounce (5xx) or retry (4xx) decisions.
"""

from __future__ import annotations

import logging
from typing import BinaryIO

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from gateway import spool
from gateway.addresses import AddressBook
from gateway.errors import ConfigError
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


def safe_reason(exc: BaseException) -> str:
    """One line about `exc` without any SQL statement or bound parameters."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        text = str(exc.orig)
    elif isinstance(exc, SQLAlchemyError):
        # Other SQLAlchemy errors print the statement after their first line.
        text = type(exc).__name__ + ": " + str(exc.args[0] if exc.args else "")
    elif isinstance(exc, ConfigError):
        text = "; ".join(exc.problems)
    else:
        text = f"{type(exc).__name__}: {exc}"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first[:500]


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
    if unknown and len(unknown) == len(recipients):  # (no recipients: the intake address)
        return DeliveryResult(EX_NOUSER, f"no such mailbox here: {', '.join(unknown)}")
    if unknown:
        # One exit code answers for every recipient: bouncing would bounce the good ones
        # too. The message is kept for the intake ones and the others named in the log
        # (the transport map sends mail here that is not ours: the admin's to fix).
        log.warning("deliver: not an intake address, ignored: %s", ", ".join(unknown))
        recipients = [r for r in recipients if book.is_intake(r)]
    try:
        with db.write() as session:
            row = spool.store(session, raw, source="deliver", mail_from=sender, rcpt_to=recipients)
            row_id = row.id
    except Exception as exc:  # database down, locked past the timeout, disk full, read-only
        reason = safe_reason(exc)
        log.error("deliver: could not store the message: %s", reason)
        return DeliveryResult(
            EX_TEMPFAIL, f"could not store the message, try again later: {reason}"
        )
    return DeliveryResult(EX_OK, f"stored as #{row_id}", row_id)
