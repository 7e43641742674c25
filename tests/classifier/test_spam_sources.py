"""iter_messages over a Maildir, an mbox file and a directory tree."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest

from classifier import SourceNotFoundError, iter_messages


def make_mail(subject: str, body: str, sender: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@example.com", subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


MAILS = [make_mail(f"subject {i}", f"body {i}", f"u{i}@example.org") for i in range(3)]


def _subjects(raws: list[bytes]) -> list[str]:
    return sorted(
        line.split(b":", 1)[1].strip().decode()
        for raw in raws
        for line in raw.splitlines()
        if line.startswith(b"Subject:")
    )


def test_maildir(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for raw in MAILS:
        box.add(raw)
    (tmp_path / "Maildir" / "tmp" / "half-written").write_bytes(b"Subject: partial\n\nx")
    (tmp_path / "Maildir" / "dovecot-uidlist").write_text("3 V1 N4\n")
    assert _subjects(list(iter_messages(tmp_path / "Maildir"))) == [
        "subject 0",
        "subject 1",
        "subject 2",
    ]


def test_mbox(tmp_path: Path) -> None:
    box = mailbox.mbox(tmp_path / "Junk")
    for raw in MAILS:
        box.add(raw)
    box.flush()
    box.close()
    raws = list(iter_messages(tmp_path / "Junk"))
    assert _subjects(raws) == ["subject 0", "subject 1", "subject 2"]
    assert not any(raw.startswith(b"From ") for raw in raws)


def test_directory_recursive(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "1.eml").write_bytes(MAILS[0])
    (tmp_path / "a" / "b" / "2.eml").write_bytes(MAILS[1])
    (tmp_path / "a" / "b" / ".hidden").write_bytes(MAILS[2])
    (tmp_path / "a" / "empty").write_bytes(b"")
    box = mailbox.Maildir(tmp_path / "a" / "nested", create=True)
    box.add(MAILS[2])
    raws = list(iter_messages(tmp_path))
    assert _subjects(raws) == ["subject 0", "subject 1", "subject 2"]


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError):
        list(iter_messages(tmp_path / "nope"))
