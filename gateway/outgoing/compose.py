"""Outgoing messages: MIME structure, encoded headers, Message-IDs and threading headers.

Conventions:
- Message-IDs are returned and written *with* angle brackets (`<hd.17.…@domain>`), the
  header form; functions here accept them with or without brackets. Storage may strip
  them (see `bare_id`) as long as it does so everywhere.
- Serialised messages (`to_bytes`) use CRLF line endings and are 7-bit clean: headers
  are RFC 2047/2231 encoded, bodies quoted-printable or base64 — except an address
  with a non-ASCII local part, written as UTF-8 (RFC 6532; sent over SMTPUTF8 only).
  Control characters never reach a header; foreign non-ASCII Message-IDs are dropped
  from In-Reply-To and References. The same bytes go to
  the SMTP relay (which requires CRLF) and into Maildir files (readers accept CRLF).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import re
import secrets
from email.message import Message
from email.utils import format_datetime, formataddr

from gateway.guard.headers import repeatable_id, strip_controls
from gateway.outgoing import mime_parts
from gateway.outgoing.mime_bytes import to_bytes as to_bytes

_MID_RE = re.compile(r"^<?hd\.(\d+)\.\d{8}T\d{6}\.[0-9a-f]+@[^>\s]+>?$", re.IGNORECASE)

# The oldest id names the thread's root; the newest ones are what clients actually use.
_REFERENCES_TAIL = 20

AUTO_SUBMITTED_VALUES = ("auto-replied", "auto-generated")
# Every mail we send names the desk here; the loop guard drops mail that comes back with it.
LOOP_HEADER = "X-Loop"


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
        safe = repeatable_id(ref)
        if safe is None:
            continue  # a foreign 8-bit or malformed id: dropped, never copied raw
        mid = bracketed(safe)
        if mid not in seen:
            seen.add(mid)
            ids.append(mid)
    if len(ids) > _REFERENCES_TAIL + 1:
        ids = [ids[0], *ids[-_REFERENCES_TAIL:]]
    return ids


def encode_unstructured(name: str, value: str) -> str:
    """An unstructured header value, RFC 2047-encoded when it is not ASCII.

    The leading ASCII words stay readable (a subject's `[HD-12]` tag); from the first
    non-ASCII word on, every space travels inside an encoded word, where no decoder
    drops it (the stdlib's own folding of such headers loses those spaces).
    """
    value = " ".join(strip_controls(value).split())
    if value.isascii():
        return value
    words = value.split(" ")
    plain: list[str] = []
    while words and words[0].isascii() and not words[0].startswith("=?"):
        plain.append(words.pop(0))
    return _fold([*plain, *_encoded_words(" ".join(words))], len(name) + 2)


def _fold(tokens: list[str], indent: int) -> str:
    """Join `tokens` with spaces, breaking lines before 78 characters (CRLF + space)."""
    lines = [""]
    width = 78 - indent
    for token in tokens:
        if lines[-1] and len(lines[-1]) + 1 + len(token) > width:
            lines.append("")
            width = 77
        lines[-1] = f"{lines[-1]} {token}" if lines[-1] else token
    return "\r\n ".join(lines)


def _encoded_words(text: str) -> list[str]:
    """`text` as base64 encoded words of at most 39 bytes each (64 characters)."""
    words: list[str] = []
    chunk = b""
    for char in text:
        data = char.encode("utf-8")
        # 39 bytes make 64-character words: a header name and one word fit in 78.
        if len(chunk) + len(data) > 39:
            words.append(_b_word(chunk))
            chunk = b""
        chunk += data
    if chunk:
        words.append(_b_word(chunk))
    return words


def _b_word(data: bytes) -> str:
    return f"=?utf-8?b?{base64.b64encode(data).decode('ascii')}?="


# Every copy of a mail lists the other recipients (gateway.outgoing.copies): n copies
# format n addresses each, so each address is encoded once and then reused.
@functools.lru_cache(maxsize=4096)
def format_address(name: str, addr: str) -> str:
    """`Name <addr>` with the display name quoted or RFC 2047-encoded as needed.

    A non-ASCII local part stays UTF-8 (RFC 6532): such mail needs an SMTPUTF8 relay.
    """
    name = " ".join(strip_controls(name).split())
    addr = strip_controls(addr).strip()
    if not name:
        return addr
    if name.isascii():
        return formataddr((name, addr))
    # Indent for the longest header name used with addresses ("Reply-To: ").
    return _fold([*_encoded_words(name), f"<{addr}>"], len("Reply-To: "))


def _address_list(pairs: list[tuple[str, str]]) -> str:
    return ",\r\n ".join(format_address(n, a) for n, a in pairs)


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
    precedence: str | None = "bulk",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    inline: list[tuple[str, str, bytes, str]] | None = None,
    date: dt.datetime | None = None,
) -> Message:
    """A multipart/alternative (text + HTML) message; multipart/mixed with attachments.

    `to`/`cc` are (display name, address) pairs; `attachments` are (filename,
    content type, data); `inline` are (filename, content type, data, content-id) parts
    the HTML refers to as `cid:content-id`. `auto_submitted` marks automatic mail
    (RFC 3834): "auto-replied" for answers to a message, "auto-generated" otherwise;
    automatic mail also carries `Precedence: <precedence>` unless that is None.
    `in_reply_to` is also appended to References when missing there.

    Built on the compat32 MIME classes: the modern header registry costs about three
    times as much per message, and the helpdesk composes several mails per ticket.
    """
    if auto_submitted is not None and auto_submitted not in AUTO_SUBMITTED_VALUES:
        raise ValueError(f"Auto-Submitted must be one of {AUTO_SUBMITTED_VALUES}")
    cids = [(name, ctype, data, bracketed(cid)) for name, ctype, data, cid in inline or []]
    msg = mime_parts.body(text, html, attachments or [], cids)
    msg["From"] = format_address(from_name, from_addr)
    msg["To"] = _address_list(to)
    if cc:
        msg["Cc"] = _address_list(cc)
    if reply_to:
        msg["Reply-To"] = format_address(from_name, reply_to)
    # Subjects are one line; a stray newline would otherwise end the header block.
    msg["Subject"] = encode_unstructured("Subject", subject)
    msg["Date"] = format_datetime((date or dt.datetime.now(dt.UTC)).astimezone())
    msg["Message-ID"] = bracketed(message_id)
    refs = list(references or [])
    if in_reply_to and repeatable_id(in_reply_to) is not None:
        msg["In-Reply-To"] = bracketed(in_reply_to)
        refs.append(in_reply_to)
    trimmed = trim_references(refs)
    if trimmed:
        msg["References"] = "\r\n ".join(trimmed)
    if auto_submitted:
        msg["Auto-Submitted"] = auto_submitted
        # Exchange/Outlook honour only this for out-of-office and auto-replies.
        msg["X-Auto-Response-Suppress"] = "All"
        if precedence:
            # Older vacation programs and Gmail look only at Precedence (RFC 3834 section 5).
            msg["Precedence"] = precedence
    for name, value in (headers or {}).items():
        del msg[name]
        msg[name] = encode_unstructured(name, value)
    return msg
