"""Second opinion: build a ParsedMessage with mail-parser when the stdlib path fails."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import mailparser

from gateway.parse.filenames import safe_filename
from gateway.parse.headers import parse_msgids, safe_address
from gateway.parse.html import html_to_text, sanitize_html
from gateway.parse.model import Address, ParsedAttachment, ParsedMessage
from gateway.parse.reply import split_reply


def _addresses(value: Any) -> list[Address]:
    out: list[Address] = []
    for item in value or []:
        if isinstance(item, (tuple, list)) and len(item) == 2:
            out.append(Address(str(item[0] or ""), safe_address(str(item[1] or ""))))
    return out


def _attachment(item: dict[str, Any], index: int) -> ParsedAttachment:
    ctype = str(item.get("mail_content_type") or "application/octet-stream").lower()
    payload = item.get("payload") or ""
    if item.get("binary"):
        data = base64.b64decode(payload)
    else:
        data = str(payload).encode("utf-8", "surrogateescape")
    cid = str(item.get("content-id") or "").strip().strip("<>")
    disposition = str(item.get("content-disposition") or "").lower()
    return ParsedAttachment(
        filename=safe_filename(str(item.get("filename") or ""), ctype, index),
        content_type=ctype,
        data=data,
        inline=bool(cid) or disposition.startswith("inline"),
        content_id=cid,
    )


def parse_with_mailparser(data: bytes, problems: list[str]) -> ParsedMessage:
    """Parse ``data`` with mail-parser; ``problems`` carries what went wrong before."""
    mail = mailparser.parse_from_bytes(data)
    result = ParsedMessage(problems=list(problems))
    result.subject = " ".join(str(mail.subject or "").split())
    senders = _addresses(mail.from_)
    result.sender = senders[0] if senders else Address("", "")
    result.to, result.cc = _addresses(mail.to), _addresses(mail.cc)
    result.reply_to = _addresses(getattr(mail, "reply_to", []))
    date = mail.date
    if isinstance(date, datetime):
        # mail-parser returns naive datetimes already shifted to UTC.
        result.date = date.replace(tzinfo=UTC) if date.tzinfo is None else date.astimezone(UTC)
    ids = parse_msgids(str(mail.message_id or ""))
    result.message_id = ids[0] if ids else ""
    headers = mail.message.items() if mail.message is not None else []
    result.headers = [(str(k), str(v)) for k, v in headers]
    result.in_reply_to = parse_msgids(result.header("in-reply-to"))
    result.references = parse_msgids(result.header("references"))
    plain = "\n\n".join(str(t) for t in mail.text_plain or [])
    html = "\n".join(str(t) for t in mail.text_html or [])
    result.text = plain if plain.strip() else html_to_text(html)
    result.html = sanitize_html(html) if html else ""
    for item in mail.attachments or []:
        try:
            result.attachments.append(_attachment(item, len(result.attachments) + 1))
        except Exception as exc:  # one bad attachment must not lose the others
            result.problems.append(f"attachment could not be decoded: {exc}")
    parts = split_reply(result.text)
    result.body, result.quoted, result.signature = parts.body, parts.quoted, parts.signature
    return result
