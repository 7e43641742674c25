"""What each IMAP poller is doing, kept in memory and persisted for `helpdesk imap status`.

The daemon writes `imap-status:<name>` in KeyValue so that the CLI, a separate process,
can read it while the daemon runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.intake.imap.checkpoint import kv_put
from gateway.store.model import KeyValue

STATUS_PREFIX = "imap-status:"
# Enough recent problems to diagnose, bounded so that the row stays small.
MAX_SKIPPED_SHOWN = 20

# States: starting, connecting, standby (another daemon holds the mailbox), fetching,
# idle (IMAP IDLE), polling (waiting poll_seconds), backoff (after an error), stopped.


def status_key(name: str) -> str:
    return STATUS_PREFIX + name


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class MailboxStatus:
    name: str
    host: str = ""
    folder: str = ""
    state: str = "starting"
    last_success: str | None = None
    backlog: int | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    consecutive_errors: int = 0
    next_retry_at: str | None = None
    uidvalidity: int = 0
    last_uid: int = 0
    stored: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    updated_at: str = field(default_factory=now_iso)

    def value(self) -> dict[str, Any]:
        self.updated_at = now_iso()
        return asdict(self)

    def restore(self, old: dict[str, Any]) -> None:
        """Take over what an earlier run recorded and is still true."""
        self.skipped = list(old.get("skipped") or [])
        self.last_success = old.get("last_success")
        self.last_error = old.get("last_error")
        self.last_error_at = old.get("last_error_at")

    def succeeded(self) -> None:
        self.last_success = now_iso()
        self.consecutive_errors = 0
        self.next_retry_at = None

    def failed(self, error: str, retry_in: float | None) -> None:
        self.last_error = error
        self.last_error_at = now_iso()
        self.consecutive_errors += 1
        self.state = "backoff" if retry_in is not None else "error"
        if retry_in is not None:
            at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=retry_in)
            self.next_retry_at = at.isoformat(timespec="seconds").replace("+00:00", "Z")

    def record_skip(self, uidvalidity: int, uid: int, error: str) -> None:
        self.skipped = [
            *self.skipped,
            {"uidvalidity": uidvalidity, "uid": uid, "error": error, "at": now_iso()},
        ][-MAX_SKIPPED_SHOWN:]


def save(session: Session, status: MailboxStatus) -> None:
    kv_put(session, status_key(status.name), status.value())


def read_all(session: Session) -> list[dict[str, Any]]:
    """Every persisted mailbox status, by name."""
    query = select(KeyValue).where(KeyValue.key.startswith(STATUS_PREFIX)).order_by(KeyValue.key)
    return [dict(row.value) for row in session.scalars(query)]
