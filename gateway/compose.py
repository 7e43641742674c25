"""Outgoing messages: MIME structure, encoded headers, Message-IDs and threading headers.

Conventions:
- Message-IDs are returned and written *with* angle brackets (`<hd.17.…@domain>`), the
  header form; functions here accept them with or without brackets. Storage may strip
  them (see `bare_id`) as long as it does so everywhere.
- Serialised messages (`to_bytes`) use CRLF line endings and are 7-bit clean: headers
  are RFC 2047/2231 encoded, bodies quoted-printable or base64. The same bytes go to
  the SMTP relay (which requires CRLF) and into Maildir files (readers accept CRLF).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

# CRLF, headers folded at 78 characters, non-ASCII headers encoded (utf8=False), and
# 7-bit bodies: relays without 8BITMIME exist, and 7-bit needs no conversion on the way.
_POLICY = policy.SMTP.clone(cte_type="7bit")

_MID_RE = re.compile(r"^<?hd\.(\d+)\.\d{8}T\d{6}\.[0-9a-f]+@[^>\s]+>?$", re.IGNORECASE)

# The oldest id names the thread's root; the newest ones are what clients actually use.
_REFERENCES_TAIL = 20

AUTO_SUBMITTED_VALUES = ("auto-replied", "auto-generated")


def make_message_id(ticket_id: int | None, domain: str, now: dt.datetime | None = None) -> str:
    """A unique Message-ID naming the ticket: `<hd.17.20261122T101500.9f2c…@domain>`.

    Unique through the time and 64 random bits; mail about no ticket uses ticket 0.
    """
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    stamp = when.strftime("%Y%m%dT%H%M%S")
    return f"<hd.{ticket_id or 0}.{stamp}.{secrets.token_hex(8)}@{domain}>"


def ticket_id_from_message_id(mid: str) -> int | None:
    """The ticket a Message-ID of ours names, or None (also for ticket 0).

    Only a hint: anyone can write such an id into References, so threading should
    trust ids found among the ticket's stored references.
    """
    match = _MID_RE.match(mid.strip())
    if not match:
        return None
    ticket_id = int(match.group(1))
    return ticket_id or None


def bare_id(mid: str) -> str:
    """A Message-ID without surrounding whitespace and angle brackets."""
    return mid.strip().strip("<>").strip()


def bracketed(mid: str) -> str:
    return f"<{bare_id(mid)}>"


def trim_references(references: list[str]) -> list[str]:
    """Bracketed, deduplicated ids: the first plus the last 20 (RFC 5322 allows trimming)."""
    seen: set[str] = set()
    ids: list[str] = []
    for ref in references:
        mid = bracketed(ref)
        if mid != "<>" and mid not in seen:
            seen.add(mid)
            ids.append(mid)
    if len(ids) > _REFERENCES_TAIL + 1:
        ids = [ids[0], *ids[-_REFERENCES_TAIL:]]
    return ids


class _EncodedHeader(str):
    """A non-ASCII unstructured header that folds itself.

    The stdlib (3.11) folds long non-ASCII headers with the space between two words
    left *between* encoded words, where RFC 2047 decoders drop it ("принтерна").
    Here every space after the first non-ASCII word travels inside an encoded word.
    The policy calls `fold` on any header value that has a `name`.
    """

    name: str

    def fold(self, *, policy: policy.Policy) -> str:
        words = str(self).split(" ")
        plain: list[str] = []
        while words and words[0].isascii() and not words[0].startswith("=?"):
            plain.append(words.pop(0))
        tokens = [*plain, *_encoded_words(" ".join(words))]
        width = policy.max_line_length or 78
        lines = [f"{self.name}:"]
        for i, token in enumerate(tokens):
            # Never break right after the name: "Subject:" alone on a line helps nobody.
            if i and len(lines[-1]) + 1 + len(token) > width:
                lines.append("")
            lines[-1] += " " + token
        return policy.linesep.join(lines) + policy.linesep


def _encoded_words(text: str) -> list[str]:
    """`text` as base64 encoded words of at most 45 bytes each (75 characters)."""
    words: list[str] = []
    chunk = b""
    for char in text:
        data = char.encode("utf-8")
        if len(chunk) + len(data) > 45:
            words.append(_b_word(chunk))
            chunk = b""
        chunk += data
    if chunk:
        words.append(_b_word(chunk))
    return words


def _b_word(data: bytes) -> str:
    return f"=?utf-8?b?{base64.b64encode(data).decode('ascii')}?="


def _unstructured(name: str, value: str) -> str:
    value = " ".join(value.split())
    if value.isascii():
        return value
    header = _EncodedHeader(value)
    header.name = name
    return header


def _address(name: str, addr: str) -> Address:
    return Address(display_name=name or "", addr_spec=addr)


def build(
    *,
    from_name: str,
    from_addr: str,
    to: list[tuple[str, str]],
    cc: list[tuple[str, str]] | None = None,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    reply_to: str | None = None,
    auto_submitted: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    inline: list[tuple[str, str, bytes, str]] | None = None,
    date: dt.datetime | None = None,
) -> EmailMessage:
    """A multipart/alternative (text + HTML) message; multipart/mixed with attachments.

    `to`/`cc` are (display name, address) pairs; `attachments` are (filename,
    content type, data); `inline` are (filename, content type, data, content-id) parts
    the HTML refers to as `cid:content-id`. `auto_submitted` marks automatic mail
    (RFC 3834): "auto-replied" for answers to a message, "auto-generated" otherwise.
    `in_reply_to` is also appended to References when missing there.
    """
    if auto_submitted is not None and auto_submitted not in AUTO_SUBMITTED_VALUES:
        raise ValueError(f"Auto-Submitted must be one of {AUTO_SUBMITTED_VALUES}")
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = _address(from_name, from_addr)
    msg["To"] = [_address(n, a) for n, a in to]
    if cc:
        msg["Cc"] = [_address(n, a) for n, a in cc]
    if reply_to:
        msg["Reply-To"] = _address(from_name, reply_to)
    # Subjects are one line; a stray newline would otherwise end the header block.
    msg["Subject"] = _unstructured("Subject", subject)
    msg["Date"] = format_datetime((date or dt.datetime.now(dt.UTC)).astimezone())
    msg["Message-ID"] = bracketed(message_id)
    refs = list(references or [])
    if in_reply_to:
        msg["In-Reply-To"] = bracketed(in_reply_to)
        refs.append(in_reply_to)
    trimmed = trim_references(refs)
    if trimmed:
        msg["References"] = " ".join(trimmed)
    if auto_submitted:
        msg["Auto-Submitted"] = auto_submitted
        # Exchange/Outlook honour only this for out-of-office and auto-replies.
        msg["X-Auto-Response-Suppress"] = "All"
        # Older vacation programs and Gmail look only at Precedence (RFC 3834 section 5).
        msg["Precedence"] = "bulk"
    for name, value in (headers or {}).items():
        del msg[name]
        msg[name] = _unstructured(name, value)
    _set_body(msg, text, html, attachments or [], inline or [])
    return msg


def _set_body(
    msg: EmailMessage,
    text: str,
    html: str,
    attachments: list[tuple[str, str, bytes]],
    inline: list[tuple[str, str, bytes, str]],
) -> None:
    # No cte: under a 7-bit policy the stdlib takes 7bit for short-lined ASCII and else
    # the shorter of quoted-printable (mostly Latin) and base64 (Cyrillic is 3x in QP).
    msg.set_content(_crlf_free(text), subtype="plain", charset="utf-8")
    msg.add_alternative(_crlf_free(html), subtype="html", charset="utf-8")
    if inline:
        html_part = msg.get_body(("html",))
        assert isinstance(html_part, EmailMessage)
        for filename, content_type, data, cid in inline:
            maintype, _, subtype = content_type.partition("/")
            html_part.add_related(
                data,
                maintype=maintype or "application",
                subtype=subtype or "octet-stream",
                filename=filename,
                cid=bracketed(cid),
                disposition="inline",
            )
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(
            data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=filename,
        )


def _crlf_free(body: str) -> str:
    """Normalise line endings; the serialiser writes CRLF itself."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    return body if body.endswith("\n") else body + "\n"


def to_bytes(msg: EmailMessage) -> bytes:
    """The message as 7-bit bytes with CRLF line endings (SMTP DATA and Maildir alike)."""
    return msg.as_bytes(policy=_POLICY)
