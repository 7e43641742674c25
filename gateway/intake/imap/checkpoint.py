"""IMAP checkpoints: UIDVALIDITY and the last committed UID per mailbox, in the KeyValue table.

The checkpoint is written in the same transaction as the spool rows it covers, so the two
can never disagree: every UID up to `last_uid` is in the spool or listed in `skipped`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gateway.store.model import NOT_SMTP, Inbound, KeyValue, utcnow


def checkpoint_key(name: str) -> str:
    return f"imap:{name}"


def kv_get(session: Session, key: str, for_update: bool = False) -> dict[str, Any] | None:
    query = select(KeyValue).where(KeyValue.key == key)
    if for_update:
        # PostgreSQL: two daemons racing on one mailbox serialise here (SQLite already
        # serialises writers with BEGIN IMMEDIATE and ignores FOR UPDATE).
        query = query.with_for_update()
    row = session.scalars(query).first()
    return dict(row.value) if row is not None else None


def kv_put(session: Session, key: str, value: dict[str, Any]) -> None:
    row = session.get(KeyValue, key)
    if row is None:
        session.add(KeyValue(key=key, value=value, updated_at=utcnow()))
    else:
        # A new dict, not an in-place change: the JSON column only notices assignment.
        row.value = value
        row.updated_at = utcnow()
    session.flush()


@dataclass
class Checkpoint:
    """Where intake of one mailbox stands."""

    uidvalidity: int = 0
    last_uid: int = 0
    # UIDs at or below last_uid that were given up on (the server never delivered them
    # whole); they stay in the folder, never moved, so that nobody mistakes them for done.
    skipped: list[int] = field(default_factory=list)
    # After a UIDVALIDITY change the folder may hold mail spooled under the old one:
    # UIDs up to this one are compared by content with what this mailbox already stored.
    recheck_through: int = 0

    @classmethod
    def from_value(cls, value: dict[str, Any] | None) -> Checkpoint:
        if not value:
            return cls()
        return cls(
            uidvalidity=int(value.get("uidvalidity", 0)),
            last_uid=int(value.get("last_uid", 0)),
            skipped=[int(u) for u in value.get("skipped", [])],
            recheck_through=int(value.get("recheck_through", 0)),
        )

    def value(self) -> dict[str, Any]:
        return asdict(self)

    def restarted(self, uidvalidity: int, uidnext: int) -> Checkpoint:
        """The checkpoint for a folder whose UIDVALIDITY changed: start again from UID 1."""
        return Checkpoint(uidvalidity=uidvalidity, recheck_through=max(uidnext - 1, 0))


def load(session: Session, name: str, for_update: bool = False) -> Checkpoint:
    return Checkpoint.from_value(kv_get(session, checkpoint_key(name), for_update))


def save(session: Session, name: str, checkpoint: Checkpoint) -> None:
    kv_put(session, checkpoint_key(name), checkpoint.value())


def already_spooled(session: Session, source: str, digests: Iterable[str]) -> set[str]:
    """Which of these SHA-256 digests this source has stored before.

    Runs only while re-checking a folder after a UIDVALIDITY change; the
    (source, sha256) index keeps it cheap on a large spool.
    """
    wanted = sorted(set(digests))
    if not wanted:
        return set()
    query = select(Inbound.sha256).where(
        Inbound.source == source, Inbound.sha256.in_(wanted), text(NOT_SMTP)
    )
    return set(session.scalars(query))
