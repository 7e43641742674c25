"""Walk a parsed MIME tree: pick the body text/HTML parts and collect every attachment."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message

from gateway.parse.charsets import decode_text
from gateway.parse.filenames import attachment_name, raw_filename
from gateway.parse.flowed import unflow
from gateway.parse.headers import decode_header_value, to_bytes

_MAX_DEPTH = 40
_BODY_TYPES = ("text/plain", "text/html")
_ROOT_FIRST = ("multipart/related", "multipart/signed", "multipart/report")


@dataclass
class RawAttachment:
    """An attachment before naming: the part's own name may still be empty."""

    name: str
    content_type: str
    data: bytes
    disposition: str
    content_id: str


@dataclass
class Segment:
    """One body unit in reading order: plain text, HTML, or both as alternatives."""

    plain: str | None = None
    html: str | None = None


@dataclass
class Walk:
    """What the walker found; ``hint`` is the first charset a text part declared."""

    segments: list[Segment] = field(default_factory=list)
    attachments: list[RawAttachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    hint: str | None = None


def declared_charset(part: Message) -> str | None:
    """Return the charset parameter of a part as a plain label, or None."""
    value = part.get_param("charset")
    if isinstance(value, tuple):  # RFC 2231 form: (charset, language, value)
        value = value[2]
    if not isinstance(value, str):
        return None
    return value.strip().strip('"') or None


def first_charset(msg: Message) -> str | None:
    """The first charset declared by any part: the best guess for undeclared header bytes."""
    for depth, part in enumerate(msg.walk()):
        if depth > 50:
            break
        label = declared_charset(part)
        if label and label.lower() not in ("us-ascii", "ascii"):
            return label
    return None


def _disposition(part: Message) -> str:
    value = part.get("content-disposition")
    if value is None:
        return ""
    return str(value).split(";", 1)[0].strip().lower()


def _content_id(part: Message) -> str:
    value = part.get("content-id")
    if value is None:
        return ""
    return to_bytes(str(value)).decode("ascii", "replace").strip().strip("<>").strip()


def _payload(part: Message, walk: Walk) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception as exc:  # broken transfer encodings
        walk.problems.append(f"undecodable {part.get_content_type()} part: {exc}")
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return to_bytes(raw) if isinstance(raw, str) else b""


def _text(part: Message, walk: Walk) -> str:
    data = _payload(part, walk)
    text, problem = decode_text(data, declared_charset(part), walk.hint)
    if problem:
        walk.problems.append(f"{part.get_content_type()} part: {problem}")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _param(part, "format") == "flowed" and part.get_content_type() == "text/plain":
        text = unflow(text, delsp=_param(part, "delsp") == "yes")
    return text


def _param(part: Message, name: str) -> str:
    value = part.get_param(name)
    return value.strip().lower() if isinstance(value, str) else ""


def _message_bytes(part: Message) -> bytes:
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        try:
            return inner[0].as_bytes()
        except Exception:  # generator trouble on broken inner mail: keep its text form
            return str(inner[0]).encode("utf-8", "surrogateescape")
    return to_bytes(inner) if isinstance(inner, str) else b""


def _attach(part: Message, walk: Walk) -> None:
    ctype = part.get_content_type()
    name = attachment_name(part, walk.hint)
    if ctype == "message/rfc822":
        data = _message_bytes(part)
        if not name:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                subject = inner[0].get("subject")
                name = decode_header_value(str(subject), walk.hint)[0] if subject else ""
            name = (name or "forwarded message") + ".eml"
    else:
        data = _payload(part, walk)
    walk.attachments.append(RawAttachment(name, ctype, data, _disposition(part), _content_id(part)))


def _is_body_text(part: Message) -> bool:
    if part.get_content_type() not in _BODY_TYPES:
        return False
    return _disposition(part) != "attachment" and not raw_filename(part)


def walk_message(msg: Message, hint: str | None) -> Walk:
    """Classify every part of ``msg`` into body segments and attachments."""
    walk = Walk(hint=hint)
    _visit(msg, walk, 0)
    return walk


def _visit(part: Message, walk: Walk, depth: int) -> None:
    if depth > _MAX_DEPTH:
        walk.problems.append("MIME nesting too deep; inner parts ignored")
        return
    ctype = part.get_content_type()
    if part.is_multipart():
        children = [p for p in part.get_payload() if isinstance(p, Message)]
        if ctype == "message/rfc822" or part.get_content_maintype() == "message":
            _attach(part, walk)
        elif ctype == "multipart/alternative":
            _alternative(children, walk, depth)
        elif ctype in _ROOT_FIRST and children:
            # related/signed/report: the first part is the message, the rest belongs to it.
            _visit(children[0], walk, depth + 1)
            for child in children[1:]:
                _visit_attachment(child, walk, depth + 1)
        else:
            for child in children:
                _visit(child, walk, depth + 1)
        return
    if part.get_content_maintype() == "multipart":
        # A multipart whose boundary never matched: its raw text is the best body we have.
        walk.problems.append(f"{ctype} part without usable boundary read as text")
        walk.segments.append(Segment(plain=_text(part, walk)))
        return
    if _is_body_text(part):
        if ctype == "text/plain":
            walk.segments.append(Segment(plain=_text(part, walk)))
        else:
            walk.segments.append(Segment(html=_text(part, walk)))
    else:
        _attach(part, walk)


def _visit_attachment(part: Message, walk: Walk, depth: int) -> None:
    # Parts after the root of related/signed/report are never body text.
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        for child in part.get_payload():
            if isinstance(child, Message):
                _visit_attachment(child, walk, depth + 1)
        return
    _attach(part, walk)


def _alternative(children: list[Message], walk: Walk, depth: int) -> None:
    """Merge the alternatives into one segment: the last plain and the last HTML version."""
    merged = Segment()
    for child in children:
        leaf_type = child.get_content_type()
        if not child.is_multipart() and leaf_type not in _BODY_TYPES:
            # text/enriched and the like are other renderings of the same text; calendar
            # invitations are the exception people need as a file.
            if leaf_type == "text/calendar":
                _attach(child, walk)
            continue
        sub = Walk(hint=walk.hint)
        _visit(child, sub, depth + 1)
        walk.problems.extend(sub.problems)
        walk.attachments.extend(sub.attachments)
        plain = "\n\n".join(s.plain for s in sub.segments if s.plain is not None)
        html = "\n".join(s.html for s in sub.segments if s.html is not None)
        if plain.strip():
            merged.plain = plain
        if html.strip():
            merged.html = html
    if merged.plain is None and merged.html is None:
        return
    walk.segments.append(merged)
