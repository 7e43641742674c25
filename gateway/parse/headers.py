"""Header decoding: tolerant RFC 2047, undeclared 8-bit bytes, addresses, ids and dates."""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from gateway.parse.charsets import codec_for, decode_text
from gateway.parse.model import Address

# "?" may not appear inside an encoded word, but spaces do in broken mailers' Q words.
_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_MSGID = re.compile(r"<([^<>\s]+)>")
_ANGLE = re.compile(r"<([^<>]*)>")
_COMMENT = re.compile(r"\(([^()]*)\)")
_GROUP = re.compile(r"^[^\"<>@,]*:(?!//)|;\s*$")
_LOCAL_ONLY = frozenset({"mailer-daemon", "postmaster", "root", "daemon", "nobody"})
_WS = re.compile(rb"^[ \t\r\n]*$")


def to_bytes(value: str) -> bytes:
    """Recover the raw bytes of a header value read by the compat32 bytes parser."""
    try:
        return value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        # Already real text (e.g. from a str source): UTF-8 is its faithful form.
        return value.encode("utf-8", "surrogateescape")


def _decode_word(encoding: bytes, payload: bytes) -> bytes:
    if encoding in (b"b", b"B"):
        payload = payload.replace(b" ", b"").rstrip(b"=")
        if len(payload) % 4 == 1:
            # One stray character cannot encode anything: drop it rather than the word.
            payload = payload[:-1]
        return base64.b64decode(payload + b"=" * (-len(payload) % 4))
    return quopri.decodestring(payload.replace(b"_", b" "), header=False)


def decode_header_value(value: str, hint: str | None = None) -> tuple[str, list[str]]:
    """Decode a raw header value to text; return (text, problems)."""
    if value.isascii() and "=?" not in value:
        # Most headers: nothing to decode. Unfolding then removing every CR and LF, as
        # below, leaves the value without CR and LF.
        return value.replace("\r", "").replace("\n", "").strip(), []
    raw = _FOLD.sub(b"", to_bytes(value)).replace(b"\r", b"").replace(b"\n", b"")
    if b"=?" not in raw and raw.isascii():
        return raw.decode("ascii").strip(), []
    problems: list[str] = []
    out: list[str] = []
    pending: list[tuple[str, bytes]] = []  # adjacent encoded words, joined per charset

    def flush() -> None:
        i = 0
        while i < len(pending):
            label, data = pending[i]
            j = i + 1
            # Join same-charset neighbours so a character split across words survives.
            while j < len(pending) and pending[j][0] == label:
                data += pending[j][1]
                j += 1
            text, problem = decode_text(data, label or None, hint)
            if problem:
                problems.append(f"header: {problem}")
            out.append(text)
            i = j
        pending.clear()

    pos = 0
    for match in _ENCODED_WORD.finditer(raw):
        between = raw[pos : match.start()]
        if between and not (pending and _WS.match(between)):
            flush()
            out.append(_plain(between, hint, problems))
        label = match.group(1).decode("ascii", "replace").split("*", 1)[0]
        try:
            data = _decode_word(match.group(2), match.group(3))
        except (binascii.Error, ValueError):
            problems.append("header: undecodable encoded word")
            data = match.group(0)
            label = "ascii"
        pending.append((label.lower(), data))
        pos = match.end()
    flush()
    if pos < len(raw):
        out.append(_plain(raw[pos:], hint, problems))
    return "".join(out).strip(), problems


def _plain(data: bytes, hint: str | None, problems: list[str]) -> str:
    if data.isascii():
        return data.decode("ascii")
    text, problem = decode_text(data, None, hint)
    if codec_for(hint) is None or problem:
        problems.append("header: undeclared 8-bit bytes")
    return text


def _split_list(text: str) -> list[str]:
    """Split an address list on commas outside quotes, <> and comments."""
    items: list[str] = []
    buf: list[str] = []
    quoted = False
    depth_angle = depth_paren = 0
    escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"' and not depth_paren:
            quoted = not quoted
        elif not quoted:
            if ch == "<":
                depth_angle += 1
            elif ch == ">":
                depth_angle = max(0, depth_angle - 1)
            elif ch == "(":
                depth_paren += 1
            elif ch == ")":
                depth_paren = max(0, depth_paren - 1)
            elif ch in ",;" and not depth_angle and not depth_paren:
                items.append("".join(buf))
                buf = []
                continue
        buf.append(ch)
    items.append("".join(buf))
    return [i.strip() for i in items if i.strip()]


def _mailbox(item: str, hint: str | None) -> Address:
    """One mailbox: 'Name <addr>', '"Name" <addr>', 'addr (Name)', 'addr' or junk."""
    item = _GROUP.sub("", item).strip()
    angles = list(_ANGLE.finditer(item))
    with_at = [m for m in angles if "@" in m.group(1)]
    if angles:
        angle = (with_at or angles)[-1]
        addr = angle.group(1)
        name = (item[: angle.start()] + " " + item[angle.end() :]).strip()
    else:
        comment = _COMMENT.search(item)
        name = comment.group(1) if comment else ""
        rest = _COMMENT.sub(" ", item).strip()
        words = rest.split()
        at = [w for w in words if "@" in w]
        addr = at[-1] if at else ""
        if not at and len(words) == 1 and (comment or words[0].lower() in _LOCAL_ONLY):
            # "MAILER-DAEMON (Mail Delivery System)": a domain-less address; bounce
            # detection depends on seeing it as the address.
            addr = words[0]
        elif not at:
            # "From: Whomever": a bare word is a name, not an address.
            name = name or rest
        elif len(words) > 1:
            # "Test test@example.com": the word with "@" is the address, the rest a name.
            name = name or " ".join(w for w in words if w != addr)
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    dname = decode_header_value(name, hint)[0] if name else ""
    route = addr.strip().strip("<>")
    if route.startswith("@") and ":" in route:
        # An RFC 5322 obs-route ("<@relay.example:john@corp.example>"): the mailbox is
        # what follows the route.
        addr = route.rpartition(":")[2]
    return Address(" ".join(dname.split()).strip('"'), safe_address(addr))


def safe_address(raw: str) -> str:
    """The address as mail can be sent to it, lowercased.

    RFC 2047 forbids encoded words in an address (section 5), so "=?utf-8?b?...?=@x" is
    kept as written: it is plain ASCII, a valid local part, and where a reply must go. A
    domain in Unicode is written as IDNA ("xn--"). Control characters and spaces, which no
    header can carry inside an address, are dropped. What is left may still hold 8-bit
    bytes in the local part (SMTPUTF8 mail); `encodable` tells the caller so.
    """
    data = to_bytes(raw)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    text = "".join(ch for ch in text if ch.isprintable() and not ch.isspace())
    text = text.strip("<>\"'").lower()
    local, at, domain = text.rpartition("@")
    if at and domain and not domain.isascii():
        domain = _idna(domain)
    return f"{local}@{domain}" if at else text


def _idna(domain: str) -> str:
    labels = []
    for label in domain.rstrip(".").split("."):
        try:
            labels.append(label.encode("idna").decode("ascii") if not label.isascii() else label)
        except UnicodeError:
            return domain  # not a valid IDN: left as written, and not encodable
    return ".".join(labels)


def encodable(email: str) -> bool:
    """Whether `email` can be written in an ASCII header and an SMTP command."""
    return email.isascii() and email.count("@") == 1 and '"' not in email


def parse_addresses(value: str | None, hint: str | None = None) -> list[Address]:
    """Split an address header (raw, still encoded) into decoded Address entries."""
    if not value:
        return []
    unfolded = _FOLD.sub(b"", to_bytes(value)).decode("ascii", "surrogateescape")
    unfolded = unfolded.replace("\r", "").replace("\n", "")
    result = [_mailbox(item, hint) for item in _split_list(unfolded)]
    return [a for a in result if a.email or a.name]


def parse_msgids(value: str | None) -> list[str]:
    """Return message ids without <>, in order, from Message-ID/In-Reply-To/References."""
    if not value:
        return []
    text = to_bytes(value).decode("utf-8", "replace")
    ids = _MSGID.findall(text)
    if not ids:
        ids = [tok.strip("<>,;") for tok in text.split() if "@" in tok]
    return list(dict.fromkeys(i for i in ids if i))


def parse_date(value: str | None) -> datetime | None:
    """Parse a Date header into an aware UTC datetime; None when unparseable."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(to_bytes(value).decode("ascii", "replace").strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        # RFC 5322 "-0000" and zone-less dates: the best guess is UTC.
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
