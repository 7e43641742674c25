"""Read raw messages from a Maildir, an mbox file, or a directory tree of message files."""

from __future__ import annotations

import mailbox
import os
from collections.abc import Iterator
from pathlib import Path

from classifier.errors import ClassifierError

# Bookkeeping files that mail servers leave next to messages.
_NOT_MAIL_PREFIXES = ("dovecot", "courier", "maildirfolder", "subscriptions")


class SourceNotFoundError(ClassifierError):
    """The path given as a message source does not exist."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"no such mailbox, file or directory: {path}")
        self.path = path


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def iter_messages(path: Path) -> Iterator[bytes]:
    """Yield each raw message under ``path``.

    A Maildir yields ``new`` and ``cur`` (never ``tmp``, where deliveries are half-written);
    a file starting with an mbox ``From `` line is read as an mbox; any other file is one
    raw message; a directory is walked recursively in name order, and Maildirs inside it
    are read as Maildirs. Hidden files and mail-server bookkeeping files are skipped.
    """
    path = Path(path)
    if not path.exists():
        raise SourceNotFoundError(path)
    if path.is_file():
        yield from _iter_file(path)
        return
    if _is_maildir(path):
        yield from _iter_maildir(path)
        return
    for root, dirs, files in os.walk(path):
        here = Path(root)
        if _is_maildir(here):
            yield from _iter_maildir(here)
            dirs[:] = [d for d in sorted(dirs) if d not in ("cur", "new", "tmp")]
        else:
            dirs.sort()
        for name in sorted(files):
            if not name.startswith(".") and not name.startswith(_NOT_MAIL_PREFIXES):
                yield from _iter_file(here / name)


def _iter_file(path: Path) -> Iterator[bytes]:
    if path.stat().st_size == 0:
        return
    if not _is_mbox(path):
        yield path.read_bytes()
        return
    box = mailbox.mbox(path, create=False)
    try:
        for key in box.iterkeys():
            yield box.get_bytes(key)
    finally:
        box.close()


def _iter_maildir(path: Path) -> Iterator[bytes]:
    for sub in ("new", "cur"):
        for entry in sorted((path / sub).iterdir()):
            if entry.is_file() and not entry.name.startswith("."):
                yield entry.read_bytes()
