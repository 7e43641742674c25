"""Attachment file names: decode RFC 2047/2231 forms and make them safe to store and serve."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from email.message import Message
from urllib.parse import unquote_to_bytes, urlsplit

from gateway.parse.charsets import decode_text
from gateway.parse.headers import decode_header_value, to_bytes

_MAX_BYTES = 255
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")
# mimetypes picks odd first extensions for some types ("text/plain" -> ".bat" on some systems).
_PREFERRED_EXT = {
    "text/plain": ".txt",
    "text/html": ".html",
    "message/rfc822": ".eml",
    "image/jpeg": ".jpg",
    "application/octet-stream": ".bin",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/pkcs7-mime": ".p7m",
    "application/ms-tnef": ".dat",
    "text/calendar": ".ics",
    "message/delivery-status": ".txt",
    "text/rfc822-headers": ".txt",
    "message/disposition-notification": ".txt",
}
_PARAM = re.compile(r';\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"?|([^;]*))')
_PARAM_CONT = re.compile(r"^(filename|name)\*(\d+)(\*?)$", re.IGNORECASE)


def raw_filename(part: Message, hint: str | None = None) -> str:
    """Return the part's declared file name, decoded, or '' if it has none."""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = _param_2231(part, header, param, hint)
        if value:
            return value
    return ""


def attachment_name(part: Message, hint: str | None = None) -> str:
    """The name a mail client would show for an attachment: the declared file name, else
    the last path segment of Content-Location, else Content-Description (given the type's
    extension when it has none); '' when the part names itself nowhere."""
    name = raw_filename(part, hint)
    if name:
        return name
    location = part.get("content-location")
    if location:
        path = urlsplit(" ".join(str(location).split())).path.rstrip("/")
        last = path.rpartition("/")[2]
        if last:
            return _decode_2231_bytes(unquote_to_bytes(last), hint)
    description = part.get("content-description")
    if description:
        text = " ".join(decode_header_value(str(description), hint)[0].split())
        if text and len(text) <= 200:
            return text if _HAS_EXT.search(text) else text + extension_for(part.get_content_type())
    return ""


# "report.pdf", "scan 12.jpeg": a name that already ends in an extension.
_HAS_EXT = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def _raw_header(part: Message, header: str) -> str | None:
    # raw_items keeps undeclared 8-bit bytes (as surrogates) that get() would mangle.
    for key, value in part.raw_items():
        if key.lower() == header:
            return value if isinstance(value, str) else str(value)
    return None


def _split_params(value: str) -> list[tuple[str, str]]:
    """Split "type; a=1; b=\"x;y\"" into [(a, 1), (b, "x;y")], tolerating junk."""
    out: list[tuple[str, str]] = []
    for match in _PARAM.finditer(value):
        key = match.group(1).strip().lower()
        val = match.group(2) if match.group(2) is not None else match.group(3) or ""
        out.append((key, val.replace('\\"', '"').strip()))
    return out


def _param_2231(part: Message, header: str, param: str, hint: str | None) -> str:
    raw = _raw_header(part, header)
    if not raw:
        return ""
    plain = ""
    star = ""
    pieces: dict[int, tuple[str, bool]] = {}
    for key, value in _split_params(raw):
        if key == param:
            plain = value
        elif key == param + "*":
            star = value
        else:
            m = _PARAM_CONT.match(key)
            if m and m.group(1).lower() == param:
                pieces.setdefault(int(m.group(2)), (value, bool(m.group(3))))
    if pieces:
        # RFC 2231 continuations: the charset prefix lives on the first encoded piece.
        ordered = [pieces[i] for i in sorted(pieces)]
        if any(flag for _, flag in ordered):
            data = b"".join(
                unquote_to_bytes(to_bytes(v)) if flag else to_bytes(v) for v, flag in ordered
            )
            return _decode_2231_bytes(data, hint)
        return _unquote("".join(v for v, _ in ordered), hint)
    if star:
        return _decode_2231_bytes(unquote_to_bytes(to_bytes(star)), hint)
    return _unquote(plain, hint) if plain else ""


def _unquote(value: str, hint: str | None) -> str:
    text, _ = decode_header_value(value.strip().strip('"'), hint)
    return text


def _decode_2231_bytes(data: bytes, hint: str | None) -> str:
    charset: str | None = None
    parts = data.split(b"'", 2)
    if len(parts) == 3:
        charset, data = parts[0].decode("ascii", "replace"), parts[2]
    text, _ = decode_text(data, charset or None, hint)
    return text


def safe_filename(name: str, content_type: str, index: int) -> str:
    """Make ``name`` safe (no paths, controls, leading dots; <= 255 UTF-8 bytes).

    An empty result becomes "attachment-<index><ext>" with the extension of the type.
    """
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split())  # newlines and tabs from folding, runs of spaces
    name = name.lstrip(". ").rstrip(". ")
    if not name or set(name) <= {"_"}:
        return f"attachment-{index}{extension_for(content_type)}"
    return _truncate(name)


def _truncate(name: str) -> str:
    if len(name.encode("utf-8")) <= _MAX_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext.encode("utf-8")) > 32:
        stem, ext = name, ""
    suffix = ("." + ext) if ext else ""
    budget = _MAX_BYTES - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return cut + suffix


def extension_for(content_type: str) -> str:
    """Return a file extension (with dot) for a MIME type; '.bin' if none is known."""
    ext = _PREFERRED_EXT.get(content_type) or mimetypes.guess_extension(content_type, strict=False)
    return ext or ".bin"
