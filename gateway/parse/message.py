"""parse_message: raw bytes in, ParsedMessage out; never raises, whatever the input."""

from __future__ import annotations

import functools
import re
from email import policy
from email.errors import MessageDefect
from email.message import Message
from email.parser import BytesParser

from gateway.guard import html as html_guard
from gateway.guard.budget import Budget
from gateway.parse.charsets import decode_text, guess_message_charset
from gateway.parse.fallback import parse_with_mailparser
from gateway.parse.filenames import safe_filename
from gateway.parse.headers import (
    decode_header_value,
    encodable,
    parse_addresses,
    parse_date,
    parse_msgids,
)
from gateway.parse.html import html_to_text_within, sanitize_html
from gateway.parse.mime import RawAttachment, first_charset, walk_message
from gateway.parse.model import Address, ParsedAttachment, ParsedMessage
from gateway.parse.reply import split_reply
from gateway.parse.uuencode import extract_uuencoded


@functools.cache
def _parser() -> BytesParser:
    """The stdlib's parser, compat32, making the classifier's indexed messages.

    compat32 is several times faster than policy.default, keeps undeclared 8-bit header
    bytes recoverable (as surrogates) and never raises on unknown charsets: decoding is
    ours. Its parts are `classifier.parsed.IndexedMessage`s, whose header look-ups (a
    few dozen a message: parsing, the MIME walk, the bounce reader) read a dict instead
    of scanning and lower-casing every header, with the email package's answers. Made
    on the first parse: the classifier package takes ~0.15 s to import, which commands
    that never parse mail do not pay.
    """
    from classifier.parsed import IndexedMessage

    return BytesParser(IndexedMessage, policy=policy.compat32)


_MAX_DEFECT_NOTES = 20
# The stdlib's own notion of a header line (feedparser.headerRE).
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
# "Subject : x": a header name, then blanks before the colon.
_SPACED_HEADER = re.compile(rb"^[!-9;-~]+[ \t]+:")
_HEAD_END = re.compile(rb"\r?\n\r?\n")
# Header blocks are searched for repairs this far at most (a malformed message without a
# blank line must not be scanned whole).
_MAX_HEAD = 256 * 1024


def parse_message(raw: bytes, budget: Budget | None = None) -> ParsedMessage:
    """Parse raw RFC 5322 bytes. Never raises: the worst case is a sparse result with problems.

    HTML work stops where `budget` (default: `budget.DEFAULT_SECONDS` from now) is
    spent; the rest is taken as text and the message flagged in `problems`.
    """
    budget = budget if budget is not None else Budget()
    try:
        data = bytes(raw)
    except Exception:  # not bytes-like at all
        return ParsedMessage(problems=[f"input is not bytes: {type(raw).__name__}"])
    if not data.strip():
        return ParsedMessage(problems=["empty message"])
    try:
        return _parse_stdlib(data, budget)
    except Exception as exc:  # any bug or pathological input: try the other parser
        problems = [f"stdlib parser failed ({type(exc).__name__}: {exc}); used mail-parser"]
    try:
        return parse_with_mailparser(data, problems)
    except Exception as exc:  # both failed: keep the bytes readable as text
        problems.append(f"mail-parser failed too ({type(exc).__name__}: {exc})")
        text, _ = decode_text(data)
        return ParsedMessage(text=text, body=text, problems=problems)


def _parse_stdlib(data: bytes, budget: Budget) -> ParsedMessage:
    data, repaired = _repair_head(data)
    msg = _parser().parsebytes(data)
    hint = first_charset(msg) or guess_message_charset(data)
    walk = walk_message(msg, hint)
    result = ParsedMessage(problems=repaired + _defects(msg), tree=msg)
    _fill_headers(result, msg, hint)
    plain_parts: list[str] = []
    html_parts: list[str] = []
    uu_files: list[tuple[str, bytes]] = []
    for segment in walk.segments:
        markup = segment.html
        if markup is not None:
            verdict = html_guard.assess(markup)
            if not verdict.problem and budget.spent():
                verdict = html_guard.Verdict(budget.problem(), verdict.depth)
            if verdict.problem:
                # Never parsed: the parsers' work grows with the square of the depth.
                result.problems.append(f"{verdict.problem}: kept as text only, not parsed")
                if segment.plain is None or not segment.plain.strip():
                    plain_parts.append(html_guard.stripped_text(markup))
                markup = None
        if segment.plain is not None and segment.plain.strip():
            plain, files = extract_uuencoded(segment.plain)
            uu_files += files
            plain_parts.append(plain.strip("\n"))
        elif markup is not None:
            text, complete = html_to_text_within(markup, budget)
            plain_parts.append(text)
            if not complete:
                # Only part of it parsed: not kept for display, which would show half.
                result.problems.append(f"{budget.problem()}: the rest kept as text only")
                markup = None
        if markup is not None:
            html_parts.append(markup)
    result.text = "\n\n".join(p for p in plain_parts if p.strip())
    if html_parts and budget.spent():
        result.problems.append(f"{budget.problem()}: HTML not sanitised, not kept")
        html_parts = []
    result.html = sanitize_html("\n".join(html_parts)) if html_parts else ""
    result.attachments = _attachments(walk.attachments, uu_files, result.html)
    result.problems += walk.problems
    parts = split_reply(result.text)
    result.body, result.quoted, result.signature = parts.body, parts.quoted, parts.signature
    return result


def _repair_head(data: bytes) -> tuple[bytes, list[str]]:
    """Mend the header block so that no header after an odd line is lost.

    The stdlib parser takes the first line that is neither a header nor a continuation
    as the start of the body, and every header after it with it (a stray word, an
    mbox `>From ` line, `Subject : x` with a space before the colon). Such a line is
    dropped (and noted) when real headers follow it before the blank line; a name with
    blanks before its colon loses them. The raw message is kept as it came.
    """
    end = _HEAD_END.search(data, 0, _MAX_HEAD)
    head_len = end.start() if end else min(len(data), _MAX_HEAD)
    lines = data[:head_len].split(b"\n")
    kinds = [_line_kind(line, i) for i, line in enumerate(lines)]
    last_header = max((i for i, k in enumerate(kinds) if k in ("header", "spaced")), default=-1)
    if "odd" not in kinds[:last_header] and "spaced" not in kinds:
        return data, []
    kept: list[bytes] = []
    notes: list[str] = []
    for i, (line, kind) in enumerate(zip(lines, kinds, strict=True)):
        if kind == "odd" and i < last_header:
            where = "first" if i == 0 else f"line {i + 1}"
            notes.append(f"garbled {where} header line dropped")
            continue
        if kind == "spaced":
            name, _, value = line.partition(b":")
            line = name.rstrip(b" \t") + b":" + value
            notes.append(f"blank before the colon of header {name.strip().decode('ascii')!r}")
        kept.append(line)
    return b"\n".join(kept) + data[head_len:], notes


def _line_kind(line: bytes, index: int) -> str:
    """'header', 'spaced' (a header name with blanks before its colon), 'cont' or 'odd'."""
    if _HEADER_LINE.match(line) or (index == 0 and line.startswith(b"From ")):
        return "header"
    if line[:1] in (b" ", b"\t"):
        # A continuation, except at the very top where nothing precedes it.
        return "odd" if index == 0 else "cont"
    if _SPACED_HEADER.match(line):
        return "spaced"
    return "odd" if line.strip() else "cont"


def _defects(msg: Message) -> list[str]:
    notes: list[str] = []
    for part in msg.walk():
        defects: list[MessageDefect] = getattr(part, "defects", [])
        for defect in defects:
            notes.append(f"MIME defect: {type(defect).__name__}")
            if len(notes) >= _MAX_DEFECT_NOTES:
                return notes
    return notes


def _fill_headers(result: ParsedMessage, msg: Message, hint: str | None) -> None:
    first: dict[str, str] = {}
    froms: list[str] = []
    for name, value in msg.raw_items():
        raw = value if isinstance(value, str) else str(value)
        text, problems = decode_header_value(raw, hint)
        result.problems += [f"{name}: {p}" for p in problems]
        result.headers.append((name, text))
        first.setdefault(name.lower(), raw)
        if name.lower() == "from":
            froms.append(raw)
    result.subject = " ".join(decode_header_value(first.get("subject", ""), hint)[0].split())
    result.sender = _sender(froms, first, hint)
    if result.sender.email and not encodable(result.sender.email):
        # Kept as the sender's identity; mail to it goes out only over SMTPUTF8.
        result.problems.append(f"From: address {result.sender.email!r} needs SMTPUTF8")
    result.to = parse_addresses(first.get("to"), hint)
    result.cc = parse_addresses(first.get("cc"), hint)
    result.reply_to = parse_addresses(first.get("reply-to"), hint)
    result.date = parse_date(first.get("date"))
    ids = parse_msgids(first.get("message-id"))
    result.message_id = ids[0] if ids else ""
    result.in_reply_to = parse_msgids(first.get("in-reply-to"))
    result.references = parse_msgids(first.get("references"))


def _sender(froms: list[str], first: dict[str, str], hint: str | None) -> Address:
    """The first From mailbox with a real address; else Sender, Reply-To, Return-Path."""
    candidates = [a for value in froms for a in parse_addresses(value, hint)]
    for header in ("sender", "reply-to", "return-path"):
        candidates += parse_addresses(first.get(header), hint)
    for address in candidates:
        if "@" in address.email:
            return address
    return candidates[0] if candidates else Address("", "")


def _attachments(
    raw: list[RawAttachment], uu_files: list[tuple[str, bytes]], html: str
) -> list[ParsedAttachment]:
    out: list[ParsedAttachment] = []
    for item in raw:
        referenced = bool(item.content_id) and f"cid:{item.content_id}" in html
        inline = referenced or (
            item.disposition != "attachment"
            and item.content_type.startswith("image/")
            and (item.disposition == "inline" or bool(item.content_id))
        )
        name = safe_filename(item.name, item.content_type, len(out) + 1)
        out.append(ParsedAttachment(name, item.content_type, item.data, inline, item.content_id))
    for name, data in uu_files:
        ctype = "application/octet-stream"
        out.append(ParsedAttachment(safe_filename(name, ctype, len(out) + 1), ctype, data))
    return out
