"""Result types of mail parsing: addresses, attachments, reply parts and the parsed message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message


@dataclass
class Address:
    """One mailbox: display name (decoded, '' when absent) and lowercased address."""

    name: str
    email: str


@dataclass
class ParsedAttachment:
    """A non-body MIME part (or uuencoded block) with a safe file name and decoded bytes."""

    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str = ""


@dataclass
class ReplyParts:
    """A reply split into the new text, the quoted history and the signature."""

    body: str
    quoted: str
    signature: str


@dataclass
class ParsedMessage:
    """Everything the helpdesk stores about one incoming mail."""

    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    sender: Address = field(default_factory=lambda: Address("", ""))
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    date: datetime | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    html: str = ""
    body: str = ""
    quoted: str = ""
    signature: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # The stdlib's (compat32) tree of the bytes, its header block mended (None when
    # another parser read them): the bounce reader takes it, so that the same bytes are
    # never parsed twice; the bounce stage drops it once read.
    tree: Message | None = field(default=None, repr=False, compare=False)
    # The first value of each header by lower-case name, for `header` (the pipeline asks
    # for some fifteen of a message's headers): built on first use, and again when
    # `headers` is another list or has grown since.
    _first: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _first_of: tuple[list[tuple[str, str]], int] | None = field(
        default=None, repr=False, compare=False
    )

    def header(self, name: str) -> str | None:
        """Return the first header called ``name`` (case-insensitive), or None."""
        built = self._first_of
        if built is None or built[0] is not self.headers or built[1] != len(self.headers):
            first: dict[str, str] = {}
            for key, value in self.headers:
                first.setdefault(key.lower(), value)
            self._first, self._first_of = first, (self.headers, len(self.headers))
        return self._first.get(name.lower())

    def header_all(self, name: str) -> list[str]:
        """Return every header called ``name`` (case-insensitive), in order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]
