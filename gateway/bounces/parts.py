"""The readable parts of a returned mail: decoded text, the explanation before the quoted
copy, the lines about one recipient, and the SMTP command the text says was refused."""

from __future__ import annotations

import re
from email.message import Message

ADDR_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_COMMAND_RE = re.compile(
    r"\b(?:in reply to|after|while sending|during|for)\s+(?:the\s+)?(?:end of\s+)?"
    r"(RCPT|MAIL|DATA|HELO|EHLO|CONN|initial connection)",
    re.I,
)
_MULTILINE = re.compile(r"^[245]\d\d-")
_FAILURE_REPLY = re.compile(r"^<<<\s*[45]\d\d\b")
_SENT = {"MAIL": "MAIL", "RCPT": "RCPT", "DATA": "DATA", "EHLO": "EHLO", "HELO": "HELO"}
# Where a free-text bounce starts quoting the returned message: nothing after it explains.
_COPY_MARKER = re.compile(
    r"^[ \t]*(?:(?:-{2,}|={2,}|_{2,})[ \t]*(?:original message|the original message"
    r"|returned message|original message headers|unsent message below|message text follows"
    r"|this is a copy of the message|message header follows)"
    r"|-*[ \t]*this is a copy of the message|-*[ \t]*below this line is a copy"
    r"|message headers follow)",
    re.I | re.M,
)


def text_of(part: Message) -> str:
    """A part's text, decoded by its charset (a wrong or unknown charset: UTF-8, replaced)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        inner = part.get_payload()
        return inner if isinstance(inner, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def address(value: str) -> str:
    """The address in a DSN field value ("rfc822; <a@b.example>"), lower case."""
    value = value.partition(";")[2] or value
    m = ADDR_RE.search(value)
    return m.group(0).lower() if m else value.strip().strip("<>").lower()


def human_text(msg: Message) -> str:
    """The readable explanation of a report: text parts outside the returned message."""
    texts: list[str] = []

    def visit(part: Message) -> None:
        ctype = part.get_content_type()
        if ctype.startswith("message/") or ctype == "text/rfc822-headers":
            return
        if part.is_multipart():
            for child in part.get_payload():
                if isinstance(child, Message):
                    visit(child)
        elif ctype in ("text/plain", "text/html") or not texts:
            text = text_of(part)
            if ctype == "text/html":
                text = re.sub(r"<[^>]+>", " ", text)
            texts.append(text)

    visit(msg)
    text = "\n".join(texts)
    cut = _COPY_MARKER.search(text)
    return text[: cut.start()] if cut and cut.start() > 0 else text


def near(text: str, recipient: str, others: tuple[str, ...] = ()) -> str:
    """The lines about `recipient` in a free-text bounce (up to the next of the `others`
    it names), else the whole text."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if recipient and recipient in line.lower():
            block = [line]
            for after in lines[i + 1 : i + 12]:
                low = after.lower()
                if any(o in low for o in others if o != recipient):
                    break
                block.append(after)
            return " ".join(block)
    return " ".join(text.split())[:4000]


def command(text: str) -> str:
    """The command the text says was answered ("in reply to RCPT TO", "after end of data")."""
    m = _COMMAND_RE.search(text)
    if m is None:
        return ""
    word = m.group(1).upper()
    return "CONN" if word.startswith("INITIAL") else word


def transcript(text: str) -> str:
    """The command a session transcript (Sendmail, Courier: ">>> DATA" then "<<< 550 ...")
    shows refused: the last one sent before the first failure reply."""
    last = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(">>>"):
            word = line[3:].split()
            last = word[0].upper() if word else ""
        elif _FAILURE_REPLY.match(line) and last:
            return _SENT.get(last[:4], "")
    return ""


def transcript_reply(text: str, diagnostic: str) -> str:
    """The whole reply a transcript shows ("<<< 550-5.7.1 ..." lines) when `diagnostic` is
    its first line only (Sendmail cuts a multi-line reply there); else `diagnostic`."""
    head = " ".join(diagnostic.split())[:40]
    if not head:
        return diagnostic
    lines = [ln.strip()[3:].strip() for ln in text.splitlines() if ln.strip().startswith("<<<")]
    for i, line in enumerate(lines):
        if " ".join(line.split()).startswith(head):
            block = [line]
            for more in lines[i + 1 :]:
                if not _MULTILINE.match(block[-1]):
                    break
                block.append(more)
            whole = " ".join(block)
            return whole if len(whole) > len(diagnostic) else diagnostic
    return diagnostic


_SAID = re.compile(r"\bsaid:\s*(.+?\(in reply to [^)]*command\))", re.I | re.S)


def postfix_said(text: str, recipient: str, diagnostic: str) -> str:
    """Postfix's whole sentence about `recipient` ("host mx[...] said: 550 <a@b>:
    Recipient address rejected. (in reply to RCPT TO command)") when `diagnostic`, the
    Diagnostic-Code, is that sentence without its last words; else `diagnostic`. The words
    that name the command are part of what the remote's refusal means."""
    head = " ".join(diagnostic.split())
    if not head or not recipient:
        return diagnostic
    m = _SAID.search(near(text, recipient))
    if m is None:
        return diagnostic
    whole = " ".join(m.group(1).split())
    return whole if whole.startswith(head) and len(whole) > len(head) else diagnostic
