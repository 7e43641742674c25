"""Find the failed recipients, their status codes and diagnostic texts in a returned mail.

A DSN's message/delivery-status part and an ARF report's message/feedback-report part are
read field by field; a bounce in free text (qmail, old Sendmail, Exchange, providers'
own wordings) gives its recipients to `flufl.bounce` and its status code and reason to
the text around them. RFC 3834 automatic replies are reported as `vacation`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import Message

from gateway.bounces.freetext import read_text
from gateway.bounces.lhosts import Entry, read_lhost
from gateway.bounces.model import Failure, Report
from gateway.bounces.parts import (
    ADDR_RE,
    address,
    command,
    human_text,
    near,
    postfix_said,
    text_of,
    transcript,
    transcript_reply,
)
from gateway.bounces.providers import provider_reason
from gateway.bounces.reasons import decide, is_hard, make_fact
from gateway.bounces.rhosts import service, service_reason
from gateway.bounces.sesjson import read_ses, ses_report

_STATUS_RE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_MSGID_RE = re.compile(r"^message-id:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
_BOUNCE_SENDER = re.compile(r"mailer-daemon|post_?master|mail delivery|mailerdaemon", re.I)
# Microsoft's Junk Mail Reporting Program sends complaints without a feedback-report part.
_JMRP_SUBJECT = re.compile(r"^\s*complaint about message from ", re.I)
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


def read_bounce(raw: bytes, tree: Message | None = None) -> Report | None:
    """The bounce report in `raw`, or None when it is ordinary mail. Never raises.

    `tree` is `raw` as the stdlib (compat32) already parsed it, when the caller has it:
    it is only read, and spares a second parse of the same bytes.
    """
    if tree is not None:
        msg = tree
    else:
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
    subject = str(msg.get("subject", ""))
    if (
        "message/feedback-report" in types
        or _report_type(msg) == "feedback-report"
        or _JMRP_SUBJECT.match(subject)
    ):
        return _arf(parts, ids)
    if not msg.is_multipart():
        notification = read_ses(text_of(msg))
        if notification is not None:
            return ses_report(notification, _ses_verdict)
    own = read_lhost(msg, human_text(msg)) if _looks_returned(msg, subject, types) else None
    if own:
        # An MTA's own format, sent by the MTA itself (not a person forwarding it), is as
        # sure a report as a DSN.
        kind = "dsn" if "message/delivery-status" in types else "text"
        if kind == "text" and _from_daemon(msg):
            kind = "mta"
        return Report(kind, [_lhost_failure(e) for e in own], ids)
    for i, ctype in enumerate(types):
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            report = _dsn(parts[i], msg, ids)
            if report is not None and report.failures:
                return report
    sender = str(msg.get("from", "")) + " " + str(msg.get("return-path", ""))
    if _is_autoreply(msg, subject) and not _BOUNCE_SENDER.search(sender):
        return _autoreply(msg, ids)
    if (
        _BOUNCE_SENDER.search(sender)
        or _BOUNCE_SUBJECT.search(subject)
        or types[0] == "multipart/report"
    ):
        return read_text(msg, ids) or _unreadable(msg, parts, types, ids)
    return None


def _unreadable(
    msg: Message, parts: list[Message], types: list[str], ids: list[str]
) -> Report | None:
    """A delivery report that names no recipient at all (Postfix's "Delivery report
    unavailable"): still a bounce, never a new ticket; the recipient is the returned
    mail's To when it is there, and the reason `undefined`."""
    if "message/delivery-status" not in types and _report_type(msg) != "delivery-status":
        return None
    recipient = ""
    for part in parts:
        if part.get_content_type() in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                found = ADDR_RE.search(str(inner[0].get("to", "")))
                recipient = found.group(0).lower() if found else ""
                break
    return Report("dsn", [Failure(recipient, "", "undefined", False)], ids)


def _ses_verdict(status: str, diagnostic: str, action: str) -> tuple[str, str, bool]:
    fact = make_fact(status, diagnostic, "", action)
    reason = decide(fact)
    code = fact.status or status
    return reason, code, is_hard(reason, code)


def _looks_returned(msg: Message, subject: str, types: list[str]) -> bool:
    """Whether `msg` may be a returned mail at all: ordinary mail never goes through the
    MTA formats (an au user's mail has the carrier's Received lines too)."""
    sender = f"{msg.get('from', '')} {msg.get('return-path', '')}"
    return bool(
        _BOUNCE_SENDER.search(sender)
        or _BOUNCE_SUBJECT.search(subject)
        or str(msg.get("return-path", "")).strip() == "<>"
        or types[0] == "multipart/report"
        or "message/delivery-status" in types
        or (msg.get("x-mlserver") is not None and "-admin@" in sender)  # fml's notices
    )


def _from_daemon(msg: Message) -> bool:
    """Whether the mail comes from a mail system (its daemon, its postmaster, a list
    manager's admin address, or a null return path), not from a person."""
    sender = f"{msg.get('from', '')} {msg.get('return-path', '')}"
    return bool(
        _BOUNCE_SENDER.search(sender)
        or str(msg.get("return-path", "")).strip() == "<>"
        or (msg.get("x-mlserver") is not None and "-admin@" in sender)
    )


def _lhost_failure(e: Entry) -> Failure:
    """A failure as an MTA's own format reported it: its verdict decides unless a reason
    sisimai tries first is proved by the code or the text."""
    fact = replace(make_fact(e.status, e.diagnostic, e.command), read_whole=True)
    if e.reason:
        fact = replace(fact, preset=e.reason)
    by_service = service_reason(
        service(e.recipient, [], e.diagnostic), e.diagnostic, fact.text, fact.status, fact.command
    )
    reason = provider_reason(e.recipient, e.diagnostic, by_service or decide(fact))
    code = fact.status or ("4.0.0" if fact.reply.startswith("4") else "5.0.0")
    return Failure(e.recipient, code, reason, is_hard(reason, code), e.diagnostic[:1000])


def _report_type(msg: Message) -> str:
    value = msg.get_param("report-type")
    return value.lower() if isinstance(value, str) else ""


def _original_ids(msg: Message, parts: list[Message]) -> list[str]:
    """Message-IDs of the returned mail: its headers part, its attached copy, or quoted."""
    found: list[str] = []
    # A one-part bounce (qmail, old Sendmail) quotes the original in its own body.
    for part in parts[1:] if msg.is_multipart() else parts:
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global", "message/rfc822-headers"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                mid = inner[0].get("message-id")
                if mid:
                    found.append(str(mid))
        elif ctype in ("text/rfc822-headers", "text/plain"):
            found += _MSGID_RE.findall(text_of(part))
    own = str(msg.get("message-id", ""))
    return [m.strip().strip("<>") for m in dict.fromkeys(found) if m.strip() != own.strip()]


def _fields(block: Message) -> dict[str, str]:
    return {k.lower(): " ".join(str(v).split()) for k, v in block.items()}


def _dsn(part: Message, msg: Message, ids: list[str]) -> Report | None:
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        return None
    human = human_text(msg)
    report = Report("dsn", original_ids=ids)
    for block in blocks:  # the per-message block has no recipient; some MTAs omit it
        if not isinstance(block, Message):
            continue
        f = _fields(block)
        recipient = address(f.get("final-recipient") or f.get("original-recipient", ""))
        if not recipient:
            continue
        action = f.get("action", "").lower()
        status = _STATUS_RE.search(f.get("status", ""))
        code = status.group(1) if status else ""
        dtype, _, said = f.get("diagnostic-code", "").partition(";")
        if not said:
            dtype, said = "", f.get("diagnostic-code", "")
        diagnostic = postfix_said(human, recipient, transcript_reply(human, said.strip()))
        if action in ("delivered", "relayed", "expanded") and not code.startswith(("4", "5")):
            reason = "delivered"
            code = code or "2.0.0"
        else:
            context = diagnostic or near(human, recipient)
            verb = command(context) or command(near(human, recipient)) or transcript(human)
            fact = make_fact(code, context, verb, action, dtype.strip())
            remote = [f.get("remote-mta", "").partition(";")[2].strip()]
            by_service = service_reason(
                service(recipient, remote, context), context, fact.text, fact.status, fact.command
            )
            reason = provider_reason(recipient, context, by_service or decide(fact))
            code = fact.status or code
        report.failures.append(
            Failure(recipient, code, reason, is_hard(reason, code), diagnostic or "")
        )
    return report


def _arf(parts: list[Message], ids: list[str]) -> Report:
    report = Report("arf", original_ids=ids)
    recipients: list[str] = []
    # Microsoft's JMRP sends no feedback-report part: its reports are all spam complaints.
    feedback = "abuse"
    for part in parts:
        if part.get_content_type() == "message/feedback-report":
            inner = part.get_payload()
            blocks = inner if isinstance(inner, list) else []
            for block in blocks:
                if isinstance(block, Message):
                    f = _fields(block)
                    feedback = f.get("feedback-type", feedback).lower().strip() or feedback
                    for key in ("original-rcpt-to", "removal-recipient"):
                        if f.get(key):
                            recipients.append(address(f[key]))
            if not blocks and isinstance(inner, str):
                recipients += [
                    a.lower() for a in re.findall(r"(?im)^original-rcpt-to:\s*<?([^>\s]+)", inner)
                ]
                said = re.search(r"(?im)^feedback-type:\s*([\w-]+)", inner)
                feedback = said.group(1).lower() if said else feedback
    for part in parts:
        if not recipients and part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                to = str(inner[0].get("to", ""))
                recipients += [a.lower() for a in ADDR_RE.findall(to)]
    for r in dict.fromkeys(recipients) or [""]:
        report.failures.append(Failure(r, "", "feedback", False, feedback_type=feedback))
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
    sender = ADDR_RE.search(str(msg.get("from", "")))
    recipient = sender.group(0).lower() if sender else ""
    return Report("autoreply", [Failure(recipient, "", "vacation", False)], ids)
