"""Commands on one selected IMAP folder: list UIDs, fetch raw messages, acknowledge, wait."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from imapclient import DELETED, SEEN, IMAPClient

from gateway.settings.config import ImapSection

log = logging.getLogger("gateway.intake.imap")

BODY = b"BODY[]"
# IDLE is re-issued well before the 29 minutes after which servers may drop it (RFC 2177).
IDLE_RENEW_SECONDS = 600.0
# How often a waiting poller looks at its stop event; bounds the shutdown delay.
TICK_SECONDS = 0.5
# Without IDLE the connection is kept alive with NOOP at least this often.
NOOP_SECONDS = 240.0
# A batch is cut so that its bodies stay within this many bytes in memory (a backlog of
# 25 MB attachments would otherwise take gigabytes); a batch has at least one message.
MAX_BATCH_BYTES = 32 * 1024 * 1024


@dataclass
class Fetched:
    """The result of fetching some UIDs: whole bodies, and the UIDs that failed, why."""

    bodies: dict[int, bytes] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)
    vanished: set[int] = field(default_factory=set)


class Folder:
    """The configured folder of one mailbox on a logged-in client."""

    def __init__(self, client: IMAPClient, box: ImapSection, name: str) -> None:
        self.client = client
        self.box = box
        self.name = name
        self.can_idle = bool(box.idle and client.has_capability("IDLE"))
        self.can_move = bool(client.has_capability("MOVE"))
        self.can_uid_expunge = bool(client.has_capability("UIDPLUS"))

    def select(self) -> tuple[int, int]:
        """Select the folder read-write; returns (UIDVALIDITY, UIDNEXT)."""
        info = self.client.select_folder(self.box.folder)
        uidvalidity = int(info[b"UIDVALIDITY"])
        uidnext = int(info.get(b"UIDNEXT", 0))
        return uidvalidity, uidnext

    def ensure_processed_folder(self) -> None:
        target = self.box.processed_folder
        if target and not self.client.folder_exists(target):
            try:
                self.client.create_folder(target)
            except IMAPClient.AbortError:
                raise
            except IMAPClient.Error:
                # Another client may have created it in between; fail only if still absent.
                if not self.client.folder_exists(target):
                    raise
            log.info("imap %s: created folder %s", self.name, target)

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above `last_uid`, ascending. (`n:*` always matches the highest UID, even
        below n, hence the filter.)"""
        found = self.client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(int(u) for u in found if int(u) > last_uid)

    def unacknowledged(self, last_uid: int, skipped: Sequence[int]) -> list[int]:
        """UIDs already committed to the spool but still waiting for their MOVE or \\Seen
        (the process stopped between the commit and the acknowledgement)."""
        if last_uid <= 0:
            return []
        criteria: list[Any] = ["UID", f"1:{last_uid}"]
        if not self.box.processed_folder or not self.can_move_away:
            criteria.append("UNSEEN")
        found = self.client.search(criteria)
        leave = set(skipped)
        return sorted(int(u) for u in found if int(u) <= last_uid and int(u) not in leave)

    @property
    def can_move_away(self) -> bool:
        return bool(self.can_move or self.can_uid_expunge)

    def within_budget(self, uids: Sequence[int]) -> list[int]:
        """The longest prefix of `uids` whose messages fit MAX_BATCH_BYTES together."""
        if len(uids) <= 1:
            return list(uids)
        try:
            sizes = self.client.fetch(list(uids), [b"RFC822.SIZE"])
        except IMAPClient.AbortError:
            raise
        except IMAPClient.Error:
            return list(uids[:1])  # let the FETCH of the body say what is wrong
        total, prefix = 0, list[int]()
        for uid in uids:
            total += int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
            if prefix and total > MAX_BATCH_BYTES:
                break
            prefix.append(uid)
        return prefix

    def fetch(self, uids: Sequence[int]) -> Fetched:
        """BODY.PEEK[] of `uids` (PEEK: the \\Seen flag is ours to set, after the commit)."""
        result = Fetched()
        try:
            response = self.client.fetch(list(uids), [b"BODY.PEEK[]"])
        except IMAPClient.AbortError:
            raise
        except IMAPClient.Error as exc:
            if len(uids) == 1:
                result.failed[uids[0]] = f"FETCH refused: {_text(exc)}"
                return result
            # One bad message can fail the whole command: isolate it.
            for uid in uids:
                one = self.fetch([uid])
                result.bodies.update(one.bodies)
                result.failed.update(one.failed)
            return result
        for uid in uids:
            body = response.get(uid, {}).get(BODY)
            if isinstance(body, bytes) and body:
                result.bodies[uid] = body
            else:
                result.failed[uid] = "the server returned no body"
        if result.failed:
            # A UID expunged by another client since our SEARCH is gone, not broken.
            still = set(self.client.search(["UID", ",".join(map(str, result.failed))]))
            for uid in [u for u in result.failed if u not in still]:
                del result.failed[uid]
                result.vanished.add(uid)
        return result

    def acknowledge(self, uids: Sequence[int]) -> None:
        """Move committed messages to processed_folder, or mark them \\Seen."""
        if not uids:
            return
        target = self.box.processed_folder
        if target and self.can_move:
            self.client.move(list(uids), target)
        elif target and self.can_uid_expunge:
            self.client.copy(list(uids), target)
            self.client.add_flags(list(uids), [DELETED], silent=True)
            self.client.uid_expunge(list(uids))
        else:
            self.client.add_flags(list(uids), [SEEN], silent=True)

    def wait(self, stop: threading.Event) -> None:
        """Return when new mail may have arrived: at once under IDLE, else after poll_seconds."""
        if self.can_idle:
            self._idle(stop)
            return
        deadline = time.monotonic() + self.box.poll_seconds
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if stop.wait(min(left, NOOP_SECONDS)):
                return
            if deadline - time.monotonic() > 0:
                self.client.noop()

    def _idle(self, stop: threading.Event) -> None:
        self.client.idle()
        renew_at = time.monotonic() + IDLE_RENEW_SECONDS
        while not stop.is_set() and time.monotonic() < renew_at:
            started = time.monotonic()
            responses = self.client.idle_check(timeout=TICK_SECONDS)
            if any(not _keepalive(r) for r in responses):
                break
            if not responses and time.monotonic() - started < TICK_SECONDS / 2:
                # imapclient returns an empty list at once on EOF: end IDLE, and let
                # IDLE DONE find out whether the connection is still there.
                break
        self.client.idle_done()


def _keepalive(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) >= 1 and response[0] == b"OK"


def _text(exc: BaseException) -> str:
    arg = exc.args[0] if exc.args else exc
    return arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg)
