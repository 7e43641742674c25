"""The MIME parts of an outgoing mail (gateway.outgoing.compose.build): text and HTML
alternatives, related inline images, mixed attachments.

Each part is what the stdlib's MIME classes make (the same headers in the same order,
the same payload), built directly where those classes cost more than the rest of a mail:
`gateway.outgoing.mime_bytes` then writes them as the compat32 generator would.
"""

from __future__ import annotations

import binascii
import secrets
from email import encoders
from email.message import Message
from email.mime.base import MIMEBase


def _text_part(body: str, subtype: str) -> Message:
    """What `MIMEText(body, subtype, charset)` makes (same headers, same payload), built
    directly: the MIME classes' charset machinery cost more than the rest of a mail."""
    body = _crlf_free(body)
    part = Message()
    if body.isascii():
        part["Content-Type"] = f'text/{subtype}; charset="us-ascii"'
        part["MIME-Version"] = "1.0"
        part["Content-Transfer-Encoding"] = "7bit"
        part.set_payload(body)
        return part
    # Cyrillic is three times its size in quoted-printable; base64 is the compact choice.
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["MIME-Version"] = "1.0"
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(_base64_lines(body.encode("utf-8")))
    return part


def _base64_lines(data: bytes) -> str:
    """Base64 in lines of 76 characters, each ending in a newline (email.base64mime).

    Encoded whole, then cut: 57 bytes make exactly 76 characters, so the lines are those
    of encoding each 57 bytes apart, at one C call instead of one a line.
    """
    if not data:
        return ""
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    return "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + "\n"


def _file_part(filename: str, content_type: str, data: bytes, disposition: str) -> MIMEBase:
    maintype, _, subtype = content_type.partition("/")
    part = MIMEBase(maintype or "application", subtype or "octet-stream")
    part.set_payload(data)
    encoders.encode_base64(part)
    if filename.isascii():
        part.add_header("Content-Disposition", disposition, filename=filename)
    else:
        # RFC 2231 for the parameter, which modern clients read.
        part.add_header("Content-Disposition", disposition, filename=("utf-8", "", filename))
    return part


def body(
    text: str,
    html: str,
    attachments: list[tuple[str, str, bytes]],
    inline: list[tuple[str, str, bytes, str]],
) -> Message:
    """multipart/alternative (text + HTML); the HTML in multipart/related with `inline`
    (filename, content type, data, bracketed Content-ID); multipart/mixed around them
    with attachments (filename, content type, data)."""
    alternative = _container("alternative")
    alternative.attach(_text_part(text, "plain"))
    html_part: Message = _text_part(html, "html")
    if inline:
        related = _container("related")
        related.attach(html_part)
        for filename, content_type, data, cid in inline:
            part = _file_part(filename, content_type, data, "inline")
            part["Content-ID"] = cid
            related.attach(part)
        html_part = related
    alternative.attach(html_part)
    if not attachments:
        return alternative
    mixed = _container("mixed")
    mixed.attach(alternative)
    for filename, content_type, data in attachments:
        mixed.attach(_file_part(filename, content_type, data, "attachment"))
    return mixed


def _container(subtype: str) -> Message:
    """What `MIMEMultipart(subtype, boundary=_boundary())` makes (the same headers in the
    same order, an empty list of parts), built directly: the MIME class writes its
    Content-Type, then parses it again to set the boundary."""
    part = Message()
    part["Content-Type"] = f'multipart/{subtype}; boundary="{_boundary()}"'
    part["MIME-Version"] = "1.0"
    part.set_payload([])
    return part


def _boundary() -> str:
    # Short enough that the Content-Type line stays within 78 characters; "=_" cannot
    # occur in base64 or in our 7-bit text parts' lines by chance of 2**-96.
    return f"=_hd_{secrets.token_hex(12)}"


def _crlf_free(body: str) -> str:
    """Normalise line endings; the serialiser writes CRLF itself."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    return body if body.endswith("\n") else body + "\n"
