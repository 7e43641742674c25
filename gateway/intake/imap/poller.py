"""IMAP intake: one poller per configured mailbox stores new mail in the spool exactly once.

Per batch: FETCH BODY.PEEK[] -> one write transaction with the spool rows and the new
checkpoint -> on_stored() -> MOVE (or \\Seen). A crash before the commit refetches the
batch; a crash after it leaves committed messages in the folder, which the next session
moves without storing them again (their UIDs are at or below the checkpoint).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import ssl
import threading
from collections.abc import Callable, Sequence

from imapclient import IMAPClient
from sqlalchemy.orm import Session

from gateway import spool
from gateway.intake.imap import checkpoint as checkpoints
from gateway.intake.imap import status as imap_status
from gateway.intake.imap.checkpoint import Checkpoint
from gateway.intake.imap.connect import TokenSource, close, connect, mailbox_name
from gateway.intake.imap.errors import CheckpointMoved, ImapIntakeError, MessageUnavailable
from gateway.intake.imap.folder import Fetched, Folder
from gateway.intake.imap.lock import MailboxLock
from gateway.intake.imap.status import MailboxStatus
from gateway.settings.config import ImapSection
from gateway.spool.pressure import IntakePressure
from gateway.store.db import Database

log = logging.getLogger("gateway.intake.imap")

# A message the server will not deliver whole is tried this often, then skipped (logged,
# shown in status, left in the folder for a human).
MAX_MESSAGE_ATTEMPTS = 4
_RETURN_PATH = re.compile(rb"^Return-Path:[ \t]*<?([^>\r\n]*)>?", re.IGNORECASE | re.MULTILINE)


def return_path(raw: bytes) -> str:
    """The envelope sender the delivering MTA recorded, if any ('' for <>)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = _RETURN_PATH.search(head)
    return match.group(1).strip().decode("ascii", "replace") if match else ""


class _LockLost(Exception):
    """The advisory lock's connection died: another daemon may take the mailbox over."""


class MailboxPoller:
    """Moves mail from one `[[imap]]` mailbox into the spool until `stop` is set."""

    def __init__(
        self,
        box: ImapSection,
        db: Database,
        on_stored: Callable[[], None],
        *,
        ssl_context: ssl.SSLContext | None = None,
        backoff_initial: float = 1.0,
        backoff_max: float = 300.0,
        pressure: IntakePressure | None = None,
    ) -> None:
        self.box = box
        # Announces each spool commit, so that processing steps aside as for SMTP.
        self.pressure = pressure or IntakePressure()
        self.db = db
        self.on_stored = on_stored
        self.name = mailbox_name(box)
        self.source = f"imap:{self.name}"
        self.ssl_context = ssl_context
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._delay = backoff_initial
        self._tokens = TokenSource(box, self.name) if box.auth == "xoauth2" else None
        self._lock = MailboxLock(db, self.name)
        self._status = MailboxStatus(name=self.name, host=box.host, folder=box.folder)
        self._checkpoint = Checkpoint()
        self._attempts: dict[tuple[int, int], int] = {}
        # (uidvalidity, uid): fetch singly until the checkpoint passes this UID.
        self._careful_until = (0, 0)

    def status(self) -> MailboxStatus:
        """A snapshot of what this poller is doing (also persisted for the CLI)."""
        return dataclasses.replace(self._status, skipped=list(self._status.skipped))

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; every fault is logged, recorded and retried."""
        self._restore_status()
        try:
            while not stop.is_set():
                if not self._lock.acquire():
                    # Another daemon polls this mailbox; our status is not persisted so
                    # that it does not overwrite the active poller's.
                    self._status.state = "standby"
                    stop.wait(self.box.poll_seconds)
                    continue
                try:
                    self._session(stop)
                except _LockLost:
                    log.warning("imap %s: lost the mailbox lock; standing by", self.name)
                except Exception as exc:  # a poller thread must never die
                    self._failed(exc, stop)
        finally:
            # A standby poller must not overwrite the record of the daemon that polls.
            active = self._lock.owned
            self._lock.release()
            self._status.state = "stopped"
            if active:
                self._persist_status()

    def _failed(self, exc: Exception, stop: threading.Event) -> None:
        if stop.is_set():
            # Shutting down: a connection cut by the shutdown itself is no fault.
            log.debug("imap %s: stopped with %s", self.name, _describe(exc))
            return
        delay = self._delay
        self._delay = min(self._delay * 2, self.backoff_max)
        message = _describe(exc)
        if isinstance(exc, ImapIntakeError | OSError | IMAPClient.Error):
            log.warning("imap %s: %s; retrying in %.1f s", self.name, message, delay)
        else:
            log.exception("imap %s: unexpected error; retrying in %.1f s", self.name, delay)
        self._status.failed(message, delay)
        self._persist_status()
        stop.wait(delay)

    def _session(self, stop: threading.Event) -> None:
        self._status.state = "connecting"
        client = connect(self.box, self.name, self.ssl_context, self._tokens)
        try:
            folder = Folder(client, self.box, self.name)
            uidvalidity, uidnext = folder.select()
            folder.ensure_processed_folder()
            self._sync_uidvalidity(uidvalidity, uidnext)
            cp = self._checkpoint
            folder.acknowledge(folder.unacknowledged(cp.last_uid, cp.skipped))
            while not stop.is_set():
                if not self._lock.held():
                    raise _LockLost
                self._status.state = "fetching"
                self._drain(folder, stop)
                self._delay = self.backoff_initial
                self._status.succeeded()
                self._status.state = "idle" if folder.can_idle else "polling"
                self._persist_status()
                folder.wait(stop)
        finally:
            close(client)

    def _sync_uidvalidity(self, uidvalidity: int, uidnext: int) -> None:
        with self.db.write() as session:
            cp = checkpoints.load(session, self.name, for_update=True)
            if cp.uidvalidity != uidvalidity:
                if cp.uidvalidity:
                    log.warning(
                        "imap %s: UIDVALIDITY changed from %d to %d (folder recreated); "
                        "reading it again from UID 1, skipping mail already stored",
                        self.name,
                        cp.uidvalidity,
                        uidvalidity,
                    )
                    cp = cp.restarted(uidvalidity, uidnext)
                else:
                    cp = Checkpoint(uidvalidity=uidvalidity)
                checkpoints.save(session, self.name, cp)
                self._attempts.clear()
        self._checkpoint = cp
        self._status.uidvalidity = cp.uidvalidity
        self._status.last_uid = cp.last_uid

    def _drain(self, folder: Folder, stop: threading.Event) -> None:
        """Store every message above the checkpoint, batch by batch, then look again."""
        while not stop.is_set():
            uids = folder.uids_after(self._checkpoint.last_uid)
            self._status.backlog = len(uids)
            if not uids:
                return
            size = max(self.box.batch_size, 1)
            done = 0
            while done < len(uids) and not stop.is_set():
                done += self._take(folder, uids[done : done + size])
                self._status.backlog = len(uids) - done

    def _take(self, folder: Folder, batch: Sequence[int]) -> int:
        """Fetch, commit and acknowledge a prefix of `batch`; returns its length."""
        cp = self._checkpoint
        if (cp.uidvalidity, cp.last_uid) < self._careful_until:
            # A batch FETCH broke the connection: one message at a time until past it,
            # so that the message the server chokes on is found and counted.
            batch = batch[:1]
        broken: Exception | None = None
        try:
            batch = folder.within_budget(batch)
            fetched = folder.fetch(batch)
        except (OSError, IMAPClient.AbortError) as exc:
            broken = exc
            if len(batch) > 1:
                self._careful_until = (cp.uidvalidity, batch[-1])
                raise
            # Dovecot answers a message it cannot read with BYE: count it against the UID.
            fetched = Fetched(failed={batch[0]: f"connection lost during FETCH: {_describe(exc)}"})
        new = Checkpoint(cp.uidvalidity, cp.last_uid, list(cp.skipped), cp.recheck_through)
        take: list[int] = []
        error: MessageUnavailable | None = None
        for uid in batch:
            if uid in fetched.bodies:
                take.append(uid)
            elif uid in fetched.vanished:
                log.warning("imap %s: UID %d was expunged before it could be fetched",
                            self.name, uid)  # fmt: skip
            elif self._give_up(uid, fetched.failed[uid]):
                new.skipped.append(uid)
            else:
                error = MessageUnavailable(self.name, uid, fetched.failed[uid])
                break
            new.last_uid = uid
        if new.last_uid != cp.last_uid:
            stored = self._commit(cp, new, take, fetched)
            if stored:
                self.on_stored()
            folder.acknowledge(take)
        if error is not None:
            raise error
        if broken is not None:
            raise broken  # the UID was given up on; reconnect for the rest
        return len(batch)

    def _give_up(self, uid: int, reason: str) -> bool:
        key = (self._checkpoint.uidvalidity, uid)
        self._attempts[key] = self._attempts.get(key, 0) + 1
        if self._attempts[key] < MAX_MESSAGE_ATTEMPTS:
            return False
        log.error(
            "imap %s: skipping UID %d after %d attempts (%s); it stays in %s",
            self.name, uid, MAX_MESSAGE_ATTEMPTS, reason, self.box.folder,
        )  # fmt: skip
        self._status.record_skip(self._checkpoint.uidvalidity, uid, reason)
        return True

    def _commit(self, cp: Checkpoint, new: Checkpoint, take: list[int], got: Fetched) -> int:
        """Spool rows and checkpoint in one transaction; returns how many rows were added."""
        digests = {uid: hashlib.sha256(got.bodies[uid]).hexdigest() for uid in take}
        stored = 0
        with self.pressure.writing(), self.db.write() as session:
            current = checkpoints.load(session, self.name, for_update=True)
            if (current.uidvalidity, current.last_uid) != (cp.uidvalidity, cp.last_uid):
                raise CheckpointMoved(self.name, "checkpoint changed by another poller")
            recheck = [u for u in take if u <= cp.recheck_through]
            seen = checkpoints.already_spooled(session, self.source, [digests[u] for u in recheck])
            for uid in take:
                if uid <= cp.recheck_through:
                    if digests[uid] in seen:
                        log.info("imap %s: UID %d already stored; not stored again",
                                 self.name, uid)  # fmt: skip
                        continue
                    seen.add(digests[uid])
                self._store(session, uid, got.bodies[uid], cp.uidvalidity)
                stored += 1
            checkpoints.save(session, self.name, new)
            self._status.stored += stored
            self._status.uidvalidity, self._status.last_uid = new.uidvalidity, new.last_uid
            imap_status.save(session, self._status)
        self._checkpoint = new
        return stored

    def _store(self, session: Session, uid: int, raw: bytes, uidvalidity: int) -> None:
        spool.store(
            session,
            raw,
            source=self.source,
            mail_from=return_path(raw),
            rcpt_to=[self.box.address] if self.box.address else [],
            origin={
                "mailbox": self.name,
                "uidvalidity": uidvalidity,
                "uid": uid,
                "category": self.box.category,
            },
        )

    def _restore_status(self) -> None:
        """Carry the record of earlier runs over (skipped messages must stay visible)."""
        try:
            with self.db.read() as session:
                old = checkpoints.kv_get(session, imap_status.status_key(self.name))
        except Exception as exc:  # status is informative; intake goes on
            log.warning("imap %s: cannot read the recorded status: %s", self.name, exc)
            return
        if old:
            self._status.restore(old)

    def _persist_status(self) -> None:
        try:
            with self.db.write() as session:
                imap_status.save(session, self._status)
        except Exception as exc:  # status is informative; intake goes on
            log.warning("imap %s: cannot record status: %s", self.name, exc)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ImapIntakeError):
        return exc.reason
    arg = exc.args[0] if exc.args else ""
    text = arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
