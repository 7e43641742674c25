"""The spool: raw received messages, committed before any intake acknowledges them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from gateway.store.model import Inbound, utcnow


def make_row(
    raw: bytes,
    *,
    source: str,
    mail_from: str = "",
    rcpt_to: Sequence[str] = (),
    origin: dict[str, object] | None = None,
) -> Inbound:
    """A new spool row for `raw`; parsing waits for the runner."""
    values = row_values(raw, source=source, mail_from=mail_from, rcpt_to=rcpt_to, origin=origin)
    return Inbound(**values)


def row_values(
    raw: bytes,
    *,
    source: str,
    mail_from: str = "",
    rcpt_to: Sequence[str] = (),
    origin: dict[str, object] | None = None,
) -> dict[str, object]:
    """The column values of a new spool row (for a Core insert on the SMTP hot path)."""
    return {
        "received_at": utcnow(),
        "source": source,
        "mail_from": mail_from,
        "rcpt_to": list(rcpt_to),
        "size": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "raw": raw,
        "state": "new",
        "attempts": 0,
        "trace": [],
        "origin": origin or {},
    }


def insert_rows(conn: Connection | Session, rows: list[dict[str, object]]) -> list[int]:
    """Insert spool rows in the caller's transaction; their ids, in order."""
    return [conn.execute(_INSERT_RETURNING_ID, values).scalar_one() for values in rows]


_INSERT_RETURNING_ID = insert(Inbound).returning(Inbound.id)


def store(
    session: Session,
    raw: bytes,
    *,
    source: str,
    mail_from: str = "",
    rcpt_to: Sequence[str] = (),
    origin: dict[str, object] | None = None,
) -> Inbound:
    """Add `raw` to the spool in the caller's transaction; the caller commits."""
    row = make_row(raw, source=source, mail_from=mail_from, rcpt_to=rcpt_to, origin=origin)
    session.add(row)
    session.flush()
    return row
