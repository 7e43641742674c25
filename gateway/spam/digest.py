"""The quarantine digest: mail to the admins (or every agent) listing newly held spam.

Each held message is listed with a `#ham ID` line; an agent releases it by replying to the
digest with such lines at the top. The digest's Reply-To is the plain intake address and
its Message-ID has the form `<hd.spam-digest.STAMP.HEX@domain>`, so that the agent-command
stage can tell a reply to a digest (`is_digest_reply`) from mail that opens a ticket.
Digests are outbox rows of kind `spam_digest`, which also records whom each went to.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.outgoing import bulk, compose
from gateway.spam.learning import MARKER, reasons
from gateway.store.model import Inbound, KeyValue, Outbox, User, utcnow

if TYPE_CHECKING:
    from gateway.services import Services

log = logging.getLogger(__name__)

KIND = "spam_digest"
MID_PREFIX = "hd.spam-digest."
STATE_KEY = "spam.digest"
MAX_LISTED = 200


def is_digest_reply(session: Session, message_ids: list[str], user: User) -> bool:
    """Whether In-Reply-To/References (`message_ids`) name a digest sent to `user`."""
    ids = [compose.bare_id(i) for i in message_ids if MID_PREFIX in i][-50:]
    if not ids:
        return False
    rows = session.scalars(
        select(Outbox.rcpt_to).where(Outbox.kind == KIND, Outbox.message_id.in_(ids))
    )
    return any(user.email.lower() in [r.lower() for r in rcpts] for rcpts in rows)


def recipients(session: Session) -> list[User]:
    """The admins, or every agent when there is no admin."""
    people = list(
        session.scalars(select(User).where(User.role.in_(("agent", "admin"))).order_by(User.id))
    )
    admins = [u for u in people if u.role == "admin"]
    return admins or people


def last_sent(session: Session, lock: bool = False) -> dt.datetime | None:
    query = select(KeyValue).where(KeyValue.key == STATE_KEY)
    if lock and session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    row = session.scalar(query)
    at = row.value.get("at") if row is not None else None
    return dt.datetime.fromisoformat(str(at)) if at else None


def _mark_sent(session: Session, now: dt.datetime, count: int) -> None:
    row = session.get(KeyValue, STATE_KEY)
    value: dict[str, object] = {"at": now.isoformat(), "count": count}
    if row is None:
        session.add(KeyValue(key=STATE_KEY, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now


def entry(row: Inbound) -> dict[str, Any]:
    """What the digest shows of one held message."""
    from classifier.message import decode_header

    head = BytesHeaderParser(policy=compat32).parsebytes(row.raw[:65536])
    name, address = email.utils.parseaddr(decode_header(head.get("From")))
    spam = (row.origin or {}).get(MARKER) or {}
    assert isinstance(spam, dict)
    return {
        "id": row.id,
        "received_at": row.received_at,
        "sender": f"{name} <{address}>" if name and address else address or row.mail_from,
        "subject": " ".join(decode_header(head.get("Subject")).split())[:200],
        "score": float(spam.get("score") or 0.0),
        "reason": reasons(list(spam.get("top") or [])) or "score",
    }


def held_since(session: Session, since: dt.datetime | None) -> list[Inbound]:
    query = select(Inbound).where(Inbound.state == "held").order_by(Inbound.id)
    if since is not None:
        query = query.where(Inbound.processed_at > since)
    return list(session.scalars(query))


def send_digest(
    session: Session,
    services: Services,
    since: dt.datetime | None,
    now: dt.datetime | None = None,
) -> int:
    """Queue a digest of the mail held after `since` (None: all held mail).

    Returns how many messages it lists; sends nothing (and records nothing) when none.
    """
    now = now or utcnow()
    rows = held_since(session, since)
    if not rows:
        return 0
    entries = [entry(r) for r in rows[:MAX_LISTED]]
    bulk.queue_to(
        session,
        services,
        recipients(session),
        bulk.Bulk(
            event=KIND,
            context={
                "count": len(rows),
                "messages": entries,
                "more": len(rows) - len(entries),
                "release_address": services.cfg.helpdesk.address,
            },
            mid_prefix=MID_PREFIX,
        ),
        now,
    )
    _mark_sent(session, now, len(rows))
    log.info("spam digest: %d held message(s) listed", len(rows))
    return len(rows)
