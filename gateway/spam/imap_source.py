"""Training mail from an IMAP mailbox (a Junk folder, the Inbox), fetched read-only.

The folder is selected read-only and bodies are fetched with BODY.PEEK[], so nothing is
marked \\Seen, moved or deleted: the mailbox is left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.errors import HelpdeskError
from gateway.settings.config import Config, ImapSection

_BATCH = 100


def pick_mailbox(cfg: Config, name: str | None) -> ImapSection:
    """The `[[imap]]` mailbox called `name` (its name or username), else the first one."""
    if not cfg.imap:
        raise HelpdeskError("no [[imap]] mailbox is configured")
    if name is None:
        return cfg.imap[0]
    for box in cfg.imap:
        if name in (box.name, box.username):
            return box
    raise HelpdeskError(f"no [[imap]] mailbox named {name!r}")


def fetch_folder(cfg: Config, box: ImapSection, folder: str) -> Iterator[bytes]:
    """Every message of `folder`, oldest first, without changing its flags."""
    from imapclient.exceptions import IMAPClientError

    from gateway.intake.imap.connect import (
        TokenSource,
        close,
        connect,
        mailbox_name,
        make_ssl_context,
    )

    name = mailbox_name(box)
    context = make_ssl_context(str(cfg.path(box.ca_file)) if box.ca_file else "", box.tls_verify)
    tokens = TokenSource(box, name) if box.auth == "xoauth2" else None
    client = connect(box, name, ssl_context=context, tokens=tokens)
    try:
        try:
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
        except IMAPClientError as exc:
            raise HelpdeskError(f"imap {name}: cannot read folder {folder!r}: {exc}") from exc
        for start in range(0, len(uids), _BATCH):
            fetched = client.fetch(uids[start : start + _BATCH], ["BODY.PEEK[]"])
            for uid in uids[start : start + _BATCH]:
                raw = fetched.get(uid, {}).get(b"BODY[]")
                if isinstance(raw, bytes):
                    yield raw
    finally:
        close(client)
