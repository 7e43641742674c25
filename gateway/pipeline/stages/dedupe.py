"""Dedupe stage: the same message received twice (two routes, a retry, IMAP) is done once.

The key is the Message-ID plus a hash of the body: a sender that re-uses Message-IDs for
different mail does not lose any, and a copy that arrived by a second route (its Received
headers differ) is still recognised. Without a Message-ID, sender, date and subject stand in.

On PostgreSQL several daemons process at once, and two copies of one mail (stored by a
daemon that died before its 250, then sent again to another) may be in two transactions
at the same moment, neither seeing the other's key. A transaction-scoped advisory lock on
the key makes the second wait for the first to commit, and then see it.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import bindparam, func, or_, select

from gateway.errors import StopProcessing
from gateway.pipeline.context import Context
from gateway.store import rows
from gateway.store.model import Inbound
from gateway.store.precompiled import Precompiled

# States of a spooled message whose content has been taken care of.
_HANDLED = ("done", "ignored", "held")


def body_bytes(raw: bytes) -> bytes:
    """The raw body after the header block (whatever line ending the mail uses)."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        _head, found, body = raw.partition(sep)
        if found:
            return body
    return b""


def dedupe_key(ctx: Context) -> str:
    mail = ctx.mail
    if mail.message_id:
        ident = f"mid\0{mail.message_id}"
    else:
        date = mail.date.isoformat() if mail.date else ""
        ident = f"nomid\0{mail.sender.email}\0{date}\0{mail.subject}"
    h = hashlib.sha256(ident.encode("utf-8", "surrogatepass"))
    h.update(b"\0")
    h.update(hashlib.sha256(body_bytes(ctx.inbound.raw).strip()).digest())
    return h.hexdigest()


# Built once: the statement's compiled form is then cached for every message.
_EARLIER = Precompiled(
    select(Inbound.id)
    .where(
        Inbound.dedupe_key == bindparam("key"),
        Inbound.id != bindparam("row_id"),
        or_(
            Inbound.state.in_(_HANDLED),
            (Inbound.state == "new") & (Inbound.id < bindparam("row_id")),
        ),
    )
    .limit(1)
)


# The first key of the two-key advisory locks on dedupe keys ("hddk" in ASCII).
_LOCK_NAMESPACE = 0x6864646B
_SAME_CONTENT = select(
    func.pg_advisory_xact_lock(bindparam("ns"), bindparam("part")).label("locked")
)


def _lock_key(key: str) -> int:
    """32 bits of the key, signed: a rare clash only makes one message wait for another."""
    part = int(key[:8], 16)
    return part - (1 << 32) if part >= 1 << 31 else part


def run(ctx: Context) -> None:
    row = ctx.inbound
    key = dedupe_key(ctx)
    ctx.dedupe_key = key  # written by the runner with the outcome
    if ctx.session.get_bind().dialect.name == "postgresql":
        # Held until this message's batch commits; the lookup below then sees a copy
        # another daemon committed meanwhile (READ COMMITTED: each statement's own view).
        rows.scalar(ctx.session, _SAME_CONTENT, {"ns": _LOCK_NAMESPACE, "part": _lock_key(key)})
    # On the connection (gateway.store.rows): a column query needs none of the ORM.
    earlier = rows.scalar(ctx.session, _EARLIER, {"key": key, "row_id": row.id})
    if earlier is not None:
        raise StopProcessing(f"duplicate of message #{earlier}", state="duplicate")
