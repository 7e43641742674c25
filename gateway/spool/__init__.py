"""The spool: raw received messages, committed before any intake acknowledges them.

A message is two rows: the small `inbound` row, whose state and trace processing updates,
and its raw bytes in `inbound_raw`, written here once and never rewritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from gateway.store.model import Inbound, InboundRaw, utcnow


def make_row(
    raw: bytes,
    *,
    source: str,
    mail_from: str = "",
    rcpt_to: Sequence[str] = (),
    origin: dict[str, object] | None = None,
) -> Inbound:
    """A new spool row for `raw` (without the bytes: `store` adds them once it has an id)."""
    values = row_values(raw, source=source, mail_from=mail_from, rcpt_to=rcpt_to, origin=origin)
    del values["raw"]
    return Inbound(**values)


def row_values(
    raw: bytes,
    *,
    source: str,
    mail_from: str = "",
    rcpt_to: Sequence[str] = (),
    origin: dict[str, object] | None = None,
) -> dict[str, object]:
    """The column values of a new spool row (for a Core insert on the SMTP hot path).

    "raw" is the value of `inbound_raw`; every other key a column of `inbound`.
    """
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
    """Insert spool rows (and their raw bytes) in the caller's transaction; their ids."""
    ids = []
    for values in rows:
        row = {name: value for name, value in values.items() if name != "raw"}
        row_id = int(conn.execute(_INSERT_RETURNING_ID, row).scalar_one())
        conn.execute(_INSERT_RAW, {"inbound_id": row_id, "raw": values["raw"]})
        ids.append(row_id)
    return ids


_INSERT_RETURNING_ID = insert(Inbound).returning(Inbound.id)
_INSERT_RAW = insert(InboundRaw)


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
    session.add(InboundRaw(inbound_id=row.id, raw=raw))
    session.flush()
    # `raw` was read (as empty) by the insert's refresh; read it again when asked.
    session.expire(row, ["raw"])
    return row
