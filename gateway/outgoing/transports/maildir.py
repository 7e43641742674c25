"""Delivery into a Maildir, exactly once per key (the embedded default: no relay needed).

The file name is derived from the key alone, and a delivery is a hard link from tmp/
into new/ (link, unlike rename, fails when the target exists). A second delivery of
the same key, after a crash between delivery and recording it, finds the file in new/
or, once a reader has seen it, as `name:2,<flags>` in cur/, and does nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from gateway.outgoing.transports.contract import SendResult

_SAFE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


class MaildirTransport:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _ensure(self) -> None:
        for sub in ("tmp", "new", "cur"):
            (self.path / sub).mkdir(parents=True, exist_ok=True, mode=0o700)

    @staticmethod
    def filename(key: str) -> str:
        """A Maildir name for `key`: no '/', no ':', stable across processes and hosts."""
        safe = key if _SAFE_KEY.match(key) else hashlib.sha256(key.encode()).hexdigest()
        return f"helpdesk.{safe}"

    def delivered(self, key: str) -> bool:
        name = self.filename(key)
        if (self.path / "new" / name).exists():
            return True
        cur = self.path / "cur"
        return (cur / name).exists() or any(cur.glob(f"{name}:*"))

    def send(self, mail_from: str, rcpt_to: list[str], raw: bytes, key: str) -> SendResult:
        name = self.filename(key)
        try:
            self._ensure()
            if self.delivered(key):
                return SendResult("sent", f"already in {self.path} as {name}")
            tmp = self.path / "tmp" / name
            with open(tmp, "wb") as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, self.path / "new" / name)
            except FileExistsError:
                pass  # a concurrent delivery of the same key won; that is the one copy
            finally:
                tmp.unlink(missing_ok=True)
            _fsync_dir(self.path / "new")
        except OSError as exc:
            # Full disk, permissions, a missing mount: the admin can fix it; keep retrying.
            return SendResult("temporary", f"maildir {self.path}: {exc}")
        return SendResult("sent", f"delivered to {self.path / 'new' / name}")


def _fsync_dir(path: Path) -> None:
    """Make the new directory entry durable before the outbox records `sent`."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
