"""The starter corpus shipped with the package: labelled mail for a model's first minute.

``starter.bin.xz`` holds a seeded sample of the Apache SpamAssassin public corpus (ham
and spam of 2002-2003, Apache-2.0 packaging; the messages' text remains with their
senders) and of the tg-spam Russian chat lines (MIT), built by scripts/build_starter.py.
See LICENSES.txt beside it. ``helpdesk spam train --starter`` learns it.
"""

from __future__ import annotations

import lzma
from collections.abc import Iterator
from pathlib import Path

from classifier.errors import ClassifierError

STARTER_FILE = Path(__file__).with_name("starter.bin.xz")
NAME = "starter"  # the name the model records as its source
# SpamAssassin folders and how many of each the sample takes.
SAMPLE = {"easy-ham-1": 260, "easy-ham-2": 140, "hard-ham-1": 60, "spam-1": 200, "spam-2": 200}


def wrap_line(line: str, is_spam: bool) -> bytes:
    """A chat line as a one-part message; the headers are the same for ham and spam.

    The Message-ID comes from the text, so the same line always makes the same bytes.
    """
    import hashlib
    from email.message import EmailMessage

    digest = hashlib.sha1(line.encode()).hexdigest()[:16]
    msg = EmailMessage()
    msg["From"] = "member@chat.invalid"
    msg["To"] = "desk@chat.invalid"
    msg["Subject"] = ""
    msg["Date"] = "Mon, 01 Jan 2024 00:00:00 +0000"
    msg["Message-ID"] = f"<{digest}@chat.invalid>"
    msg.set_content(line)
    return msg.as_bytes()


class StarterCorruptError(ClassifierError):
    """The shipped starter corpus cannot be read (a broken install)."""


def iter_starter(path: Path = STARTER_FILE) -> Iterator[tuple[bytes, bool, str]]:
    """(raw message, is_spam, source corpus) of each record of the starter file."""
    try:
        data = lzma.decompress(path.read_bytes())
    except (OSError, lzma.LZMAError) as exc:
        raise StarterCorruptError(f"starter corpus {path}: {exc}") from None
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        try:
            label, source, size = data[pos:end].decode().split(" ")
            length = int(size)
        except ValueError:
            raise StarterCorruptError(f"starter corpus {path}: bad record at {pos}") from None
        if label not in ("ham", "spam") or end < 0 or end + 1 + length > len(data):
            raise StarterCorruptError(f"starter corpus {path}: bad record at {pos}")
        yield data[end + 1 : end + 1 + length], label == "spam", source
        pos = end + 1 + length
