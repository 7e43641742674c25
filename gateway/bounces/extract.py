"""Find the failed recipients, their status codes and diagnostic texts in a returned mail.

A DSN's message/delivery-status part and an ARF report's message/feedback-report part are
read field by field; a bounce in free text (qmail, old Sendmail, Exchange, providers'
own wordings) gives its recipients to `flufl.bounce` and its status code and reason to
the text around them. RFC 3834 automatic replies are reported as `vacation`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message

from flufl.bounce import scan_message

from gateway.bounces.providers import provider_reason
from gateway.bounces.reasons import decide, is_hard, make_fact

_STATUS_RE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_ADDR_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_MSGID_RE = re.compile(r"^message-id:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
_BOUNCE_SENDER = re.compile(r"mailer-daemon|postmaster|mail delivery|mailerdaemon", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (?:status|fail|report|notification)|returned mail|failure notice"
    r"|mail delivery failed|could not be delivered|nondeliverable|non-delivery|not delivered"
    r"|delivery problem|rejected|returned to sender|mail system error|undelivered"
    r"|failed delivery|delivery has failed|notice of delivery|warning: message",
    re.I,
)
_AUTOREPLY_SUBJECT = re.compile(
    r"^(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|out of (?:the )?office|abwesenheit"
    r"|vacation|autoreply|auto:|автоответ|r[ée]ponse automatique|自動応答|不在)",
    re.I,
)
_COMMAND_RE = re.compile(
    r"\b(?:in reply to|after|while sending|during|for)\s+(?:the\s+)?(?:end of\s+)?"
    r"(RCPT|MAIL|DATA|HELO|EHLO|CONN|initial connection)",
    re.I,
)
_FAILURE_REPLY = re.compile(r"^<<<\s*[45]\d\d\b")
_SENT = {"MAIL": "MAIL", "RCPT": "RCPT", "DATA": "DATA", "EHLO": "EHLO", "HELO": "HELO"}
# Where a free-text bounce starts quoting the returned message: nothing after it explains.
_COPY_MARKER = re.compile(
    r"^[ \t]*(?:(?:-{2,}|={2,}|_{2,})[ \t]*(?:original message|the original message"
    r"|returned message|original message headers|unsent message below|message text follows"
    r"|this is a copy of the message)"
    r"|-*[ \t]*this is a copy of the message|-*[ \t]*below this line is a copy)",
    re.I | re.M,
)


@dataclass
class Failure:
    """One recipient the report is about."""

    recipient: str
    status: str
    reason: str
    hard: bool
    diagnostic: str = ""


@dataclass
class Report:
    """What a bounce, complaint or automatic reply says about mail we sent."""

    kind: str  # "dsn", "arf", "autoreply", "text"
    failures: list[Failure] = field(default_factory=list)
    # The Message-IDs (bare) of the returned original, to find our outbox row.
    original_ids: list[str] = field(default_factory=list)


def read_bounce(raw: bytes) -> Report | None:
    """The bounce report in `raw`, or None when it is ordinary mail. Never raises."""
    try:
        msg = message_from_bytes(raw, policy=policy.compat32)
    except Exception:  # a message the stdlib cannot read is nothing we can tell about
        return None
    try:
        return _read(msg, raw)
    except Exception:  # a malformed report: read as ordinary mail, never a crash
        return None


def _read(msg: Message, raw: bytes) -> Report | None:
    parts = list(msg.walk())
    types = [p.get_content_type() for p in parts]
    ids = _original_ids(msg, parts)
    if "message/feedback-report" in types or _report_type(msg) == "feedback-report":
        return _arf(parts, ids)
    for i, ctype in enumerate(types):
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            report = _dsn(parts[i], msg, ids)
            if report is not None and report.failures:
                return report
    subject = str(msg.get("subject", ""))
    sender = str(msg.get("from", "")) + " " + str(msg.get("return-path", ""))
    if _is_autoreply(msg, subject) and not _BOUNCE_SENDER.search(sender):
        return _autoreply(msg, ids)
    if (
        _BOUNCE_SENDER.search(sender)
        or _BOUNCE_SUBJECT.search(subject)
        or types[0] == "multipart/report"
    ):
        return _text(msg, ids)
    return None


def _report_type(msg: Message) -> str:
    value = msg.get_param("report-type")
    return value.lower() if isinstance(value, str) else ""


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        inner = part.get_payload()
        return inner if isinstance(inner, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def _original_ids(msg: Message, parts: list[Message]) -> list[str]:
    """Message-IDs of the returned mail: its headers part, its attached copy, or quoted."""
    found: list[str] = []
    for part in parts[1:]:
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global", "message/rfc822-headers"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                mid = inner[0].get("message-id")
                if mid:
                    found.append(str(mid))
        elif ctype in ("text/rfc822-headers", "text/plain"):
            found += _MSGID_RE.findall(_text_of(part))
    own = str(msg.get("message-id", ""))
    return [m.strip().strip("<>") for m in dict.fromkeys(found) if m.strip() != own.strip()]


def _fields(block: Message) -> dict[str, str]:
    return {k.lower(): " ".join(str(v).split()) for k, v in block.items()}


def _address(value: str) -> str:
    value = value.partition(";")[2] or value
    m = _ADDR_RE.search(value)
    return m.group(0).lower() if m else value.strip().strip("<>").lower()


def _dsn(part: Message, msg: Message, ids: list[str]) -> Report | None:
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        return None
    human = _human_text(msg)
    report = Report("dsn", original_ids=ids)
    for block in blocks:  # the per-message block has no recipient; some MTAs omit it
        if not isinstance(block, Message):
            continue
        f = _fields(block)
        recipient = _address(f.get("final-recipient") or f.get("original-recipient", ""))
        if not recipient:
            continue
        action = f.get("action", "").lower()
        status = _STATUS_RE.search(f.get("status", ""))
        code = status.group(1) if status else ""
        dtype, _, said = f.get("diagnostic-code", "").partition(";")
        if not said:
            dtype, said = "", f.get("diagnostic-code", "")
        diagnostic = said.strip()
        if action in ("delivered", "relayed", "expanded") and not code.startswith(("4", "5")):
            reason = "delivered"
            code = code or "2.0.0"
        else:
            context = diagnostic or _near(human, recipient)
            command = _command(context) or _command(_near(human, recipient)) or _transcript(human)
            fact = make_fact(code, context, command, action, dtype.strip())
            reason = provider_reason(recipient, context, decide(fact))
            code = fact.status or code
        report.failures.append(
            Failure(recipient, code, reason, is_hard(reason, code), diagnostic or "")
        )
    return report


def _human_text(msg: Message) -> str:
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
            text = _text_of(part)
            if ctype == "text/html":
                text = re.sub(r"<[^>]+>", " ", text)
            texts.append(text)

    visit(msg)
    text = "\n".join(texts)
    cut = _COPY_MARKER.search(text)
    return text[: cut.start()] if cut and cut.start() > 0 else text


def _near(text: str, recipient: str) -> str:
    """The lines about `recipient` in a free-text bounce, else the whole text."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if recipient and recipient in line.lower():
            return " ".join(lines[i : i + 6])
    return " ".join(text.split())[:4000]


def _command(text: str) -> str:
    m = _COMMAND_RE.search(text)
    if m is None:
        return ""
    word = m.group(1).upper()
    return "CONN" if word.startswith("INITIAL") else word


def _transcript(text: str) -> str:
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


def _arf(parts: list[Message], ids: list[str]) -> Report:
    report = Report("arf", original_ids=ids)
    recipients: list[str] = []
    for part in parts:
        if part.get_content_type() == "message/feedback-report":
            inner = part.get_payload()
            blocks = inner if isinstance(inner, list) else []
            for block in blocks:
                if isinstance(block, Message):
                    f = _fields(block)
                    for key in ("original-rcpt-to", "removal-recipient"):
                        if f.get(key):
                            recipients.append(_address(f[key]))
            if not blocks and isinstance(inner, str):
                recipients += [
                    a.lower() for a in re.findall(r"(?im)^original-rcpt-to:\s*<?([^>\s]+)", inner)
                ]
    for part in parts:
        if not recipients and part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                to = str(inner[0].get("to", ""))
                recipients += [a.lower() for a in _ADDR_RE.findall(to)]
    for r in recipients or [""]:
        report.failures.append(Failure(r, "", "feedback", False))
    return report


def _is_autoreply(msg: Message, subject: str) -> bool:
    auto = str(msg.get("auto-submitted", "")).lower()
    if auto.startswith("auto-replied") and not _BOUNCE_SUBJECT.search(subject):
        return True
    if any(msg.get(h) for h in ("x-autoreply", "x-autorespond", "x-autoresponse")):
        return True
    precedence = str(msg.get("precedence", "")).lower()
    if precedence == "auto_reply":
        return True
    return bool(_AUTOREPLY_SUBJECT.search(subject.strip()))


def _autoreply(msg: Message, ids: list[str]) -> Report:
    sender = _ADDR_RE.search(str(msg.get("from", "")))
    recipient = sender.group(0).lower() if sender else ""
    return Report("autoreply", [Failure(recipient, "", "vacation", False)], ids)


def _text(msg: Message, ids: list[str]) -> Report | None:
    text = _human_text(msg)
    found = sorted(a.decode("utf-8", "replace").lower() for a in scan_message(msg))
    if not found:
        found = list(dict.fromkeys(a.lower() for a in _ADDR_RE.findall(text)))
        own = {
            a.lower() for a in _ADDR_RE.findall(str(msg.get("from", "")) + str(msg.get("to", "")))
        }
        found = [a for a in found if a not in own and not _BOUNCE_SENDER.search(a)][:1]
    if not found:
        return None
    report = Report("text", original_ids=ids)
    for recipient in found:
        context = _near(text, recipient)
        full = " ".join(text.split())
        said = full if len(context) < 40 else context
        fact = make_fact("", said, _command(said) or _command(full) or _transcript(text))
        if not fact.status and fact.reply[:1] in ("4", "5"):
            fact = make_fact(f"{fact.reply[0]}.0.0", said, fact.command)
        reason = provider_reason(recipient, full, decide(fact))
        code = fact.status
        report.failures.append(
            Failure(recipient, code or "5.0.0", reason, is_hard(reason, code), said[:1000])
        )
    return report
