"""The transactional outbox: mail queued with the change that caused it, sent later.

`enqueue` adds a row in the caller's transaction. `send_due` sends due rows one at a
time, each in three short steps, so that no database transaction spans a network send:
1. claim: in one write transaction pick a due row (FOR UPDATE SKIP LOCKED on PostgreSQL,
   so several daemons share the queue) and push its `next_attempt_at` forward by a lease;
2. send, with no transaction open;
3. record the result in a second write transaction.
A crash between 1 and 3 leaves the row queued; it is sent again once the lease expires
(the transports get the row id as their idempotence key: Maildir delivers exactly once).

Row states: queued -> sent | failed | bounced; held -> queued (an answer held so that a
ticket is not answered twice, released by `#send` or `helpdesk outbox release`);
`suppressed` rows were never queued (a suppressed domain, a suspended address, the daily
limit), the reason in `last_reply`. A temporary failure (4xx, no connection) is retried
after min(initial * 2**attempts, max) seconds, for `retry_hours` after the row was
created; then the row fails with the last reply. A 5xx fails it at once.
`message_id` is stored without angle brackets, like every stored Message-ID.
"""

from __future__ import annotations

import datetime as dt
import logging
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.outgoing.compose import bare_id, to_bytes
from gateway.outgoing.transports import SendResult, Transport
from gateway.settings.config import OutgoingSection
from gateway.store import fresh, rows
from gateway.store.db import Database
from gateway.store.model import Outbox, utcnow

log = logging.getLogger(__name__)

# The runner puts the id of the message being processed in `session.info` under this key,
# so that each mail it causes names it (`helpdesk inbound show`).
INBOUND_KEY = "helpdesk.inbound_id"

STATES = ("queued", "held", "sent", "failed", "suppressed", "bounced")


def enqueue(
    session: Session,
    *,
    kind: str,
    ticket_id: int | None,
    mail_from: str,
    rcpt_to: list[str],
    message: Message,
    automatic: bool,
    subject: str | None = None,
) -> Outbox:
    """Add `message` to the outbox in the caller's transaction (never commits)."""
    row = Outbox(**_values(kind, ticket_id, mail_from, rcpt_to, message, automatic, subject))
    session.add(row)
    return row


def insert(
    session: Session,
    *,
    kind: str,
    ticket_id: int | None,
    mail_from: str,
    rcpt_to: list[str],
    message: Message,
    automatic: bool,
    subject: str | None = None,
    state: str = "queued",
    reason: str = "",
    held: str | None = None,
) -> None:
    """`enqueue` for a caller that does not need the row: a Core insert (gateway.store.rows),
    executed now, without the ORM's bookkeeping (the runner queues a few mails per message).

    With `held` (the reason) the row is kept in state "held", never sent until released.
    """
    values = _values(kind, ticket_id, mail_from, rcpt_to, message, automatic, subject)
    values["state"], values["last_reply"] = state, reason
    values["inbound_id"] = session.info.get(INBOUND_KEY)
    if held is not None:
        # Kept, not sent: `outbox list --state held` shows it, `outbox retry` sends it.
        values.update(state="held", last_reply=held)
    if not fresh.defer_outbox(session, values):  # a new ticket's: at the message's end
        rows.write(session, _INSERT, values)
    if values["state"] != "held":  # what the relay limit counts
        fresh.note_relayed(session, ticket_id, values["inbound_id"])


# One statement object: its compiled form is cached.
_INSERT = rows.table_insert(Outbox)


def _values(
    kind: str,
    ticket_id: int | None,
    mail_from: str,
    rcpt_to: list[str],
    message: Message,
    automatic: bool,
    subject: str | None,
) -> dict[str, Any]:
    if not rcpt_to:
        raise ValueError("an outgoing mail needs at least one recipient")
    now = utcnow()
    return {
        "created_at": now,
        "ticket_id": ticket_id,
        "kind": kind,
        "mail_from": mail_from,
        "rcpt_to": list(rcpt_to),
        "message_id": bare_id(str(message.get("Message-ID", ""))),
        "subject": subject
        if subject is not None
        else str(make_header(decode_header(str(message.get("Subject", ""))))),
        "raw": to_bytes(message),
        "automatic": automatic,
        "state": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "last_reply": "",
    }


def send_due(
    db: Database,
    transport: Transport,
    cfg: OutgoingSection,
    now: dt.datetime | None = None,
    limit: int = 100,
) -> int:
    """Send up to `limit` due rows; return how many were attempted.

    `now` fixes the clock for the whole call (tests); by default the real time is read
    before each row.
    """
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    done = 0
    while done < limit:
        at = now or utcnow()
        claimed = _claim(db, at, _lease(cfg))
        if claimed is None:
            break
        row_id, mail_from, rcpt_to, raw = claimed
        try:
            result = transport.send(mail_from, rcpt_to, raw, str(row_id))
        except Exception as exc:  # a transport bug must not wedge the queue
            log.exception("outbox %d: transport raised", row_id)
            result = SendResult("temporary", f"internal error: {type(exc).__name__}: {exc}")
        _record(db, row_id, result, now or utcnow(), cfg)
        done += 1
    return done


def _lease(cfg: OutgoingSection) -> dt.timedelta:
    # Long enough for a slow relay (connect, TLS, DATA each up to the timeout).
    return dt.timedelta(seconds=max(60, 4 * cfg.timeout_seconds))


def _claim(
    db: Database, now: dt.datetime, lease: dt.timedelta
) -> tuple[int, str, list[str], bytes] | None:
    with db.write() as session:
        stmt = (
            select(Outbox)
            .where(Outbox.state == "queued", Outbox.next_attempt_at <= now)
            .order_by(Outbox.next_attempt_at, Outbox.id)
            .limit(1)
        )
        if not db.sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        row = session.scalars(stmt).first()
        if row is None:
            return None
        row.next_attempt_at = now + lease
        return row.id, row.mail_from, list(row.rcpt_to), row.raw


def _record(
    db: Database, row_id: int, result: SendResult, now: dt.datetime, cfg: OutgoingSection
) -> None:
    with db.write() as session:
        row = session.get(Outbox, row_id)
        if row is None or row.state != "queued":
            return  # someone else recorded it (an expired lease): theirs stands
        deferred = {
            r: reply for r, reply in result.failed_recipients.items() if not reply.startswith("5")
        }
        if result.outcome == "sent" and deferred:
            _partial(row, result, deferred, now, cfg)
        elif result.outcome == "sent":
            row.state = "sent"
            row.sent_at = now
            row.last_reply = _with_refusals(result.reply, result.failed_recipients)
            log.info("outbox %d: sent to %s: %s", row.id, ", ".join(row.rcpt_to), row.last_reply)
        elif result.outcome == "permanent":
            row.attempts += 1
            row.state = "failed"
            row.last_reply = result.reply
            log.warning("outbox %d: failed permanently: %s", row.id, result.reply)
        else:
            _retry_later(row, result.reply, now, cfg)


def _partial(
    row: Outbox,
    result: SendResult,
    deferred: dict[str, str],
    now: dt.datetime,
    cfg: OutgoingSection,
) -> None:
    """Accepted for some recipients, deferred (4xx) for others: retry only those."""
    done = [r for r in row.rcpt_to if r not in result.failed_recipients]
    reply = _with_refusals(f"sent to {', '.join(done)}: {result.reply}", result.failed_recipients)
    row.rcpt_to = list(deferred)
    _retry_later(row, reply, now, cfg)


def _retry_later(row: Outbox, reply: str, now: dt.datetime, cfg: OutgoingSection) -> None:
    deadline = row.created_at + dt.timedelta(hours=cfg.retry_hours)
    delay = min(cfg.retry_initial_seconds * 2**row.attempts, cfg.retry_max_seconds)
    row.attempts += 1
    row.last_reply = reply
    if now >= deadline:
        row.state = "failed"
        log.warning("outbox %d: gave up after %d attempts: %s", row.id, row.attempts, reply)
        return
    # The last try falls on the deadline itself rather than being skipped.
    row.next_attempt_at = min(now + dt.timedelta(seconds=delay), deadline)
    log.info("outbox %d: deferred until %s: %s", row.id, row.next_attempt_at, reply)


def _with_refusals(reply: str, failed: dict[str, str]) -> str:
    if not failed:
        return reply
    return reply + "; refused: " + "; ".join(f"{r}: {text}" for r, text in failed.items())


def list_rows(session: Session, state: str | None = None, limit: int = 100) -> list[Outbox]:
    """The newest rows first, optionally in one state (for `helpdesk outbox list`)."""
    stmt = select(Outbox).order_by(Outbox.id.desc()).limit(limit)
    if state is not None:
        stmt = stmt.where(Outbox.state == state)
    return list(session.scalars(stmt))


def requeue(session: Session, row_id: int, now: dt.datetime | None = None) -> Outbox | None:
    """Queue a failed row again for an immediate try (a held one with the held copies of
    its mail to the other recipients); None when there is no such row.

    The retry window still counts from `created_at`: a temporary failure of an old row
    fails it again at once, which is what an admin retrying by hand wants to see.
    """
    row = session.get(Outbox, row_id)
    if row is None:
        return None
    if row.state == "failed":
        row.state = "queued"
        row.next_attempt_at = now or utcnow()
    elif row.state == "held":
        # Released by an agent: its retry window starts now, not when it was held.
        for copy in held_copies(session, row):
            copy.state = "queued"
            copy.created_at = copy.next_attempt_at = now or utcnow()
    return row


def held_copies(session: Session, row: Outbox) -> list[Outbox]:
    """`row` and the other held copies of the same mail, for the other recipients.

    A mail goes as one copy per recipient (gateway.outgoing.copies), each a row of its own;
    releasing the answer is releasing it to everyone it was for. The copies of one mail
    are the rows of one kind that one received message queued about one ticket (a
    received message causes at most one mail of a kind per ticket, sent to several).
    """
    if row.state != "held" or row.inbound_id is None or row.ticket_id is None:
        return [row] if row.state == "held" else []
    copies = session.scalars(
        select(Outbox).where(
            Outbox.inbound_id == row.inbound_id,
            Outbox.ticket_id == row.ticket_id,
            Outbox.kind == row.kind,
            Outbox.state == "held",
        )
    )
    return sorted({row, *copies}, key=lambda r: r.id)


def release(session: Session, row_id: int, now: dt.datetime | None = None) -> Outbox | None:
    """Queue a held row, and the held copies of its mail to the other recipients, for
    sending now; the row (any state), or None when there is none."""
    row = session.get(Outbox, row_id)
    if row is not None and row.state == "held":
        for copy in held_copies(session, row):
            copy.state = "queued"
            copy.next_attempt_at = now or utcnow()
    return row
