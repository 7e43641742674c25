"""Bounces in free text: who failed and why, where no message/delivery-status part says.

The recipients come from what names them most surely: the X-Failed-Recipients header
(Exim, Gmail), DSN fields written into the text (Final-Recipient / Original-Recipient,
as Amazon WorkMail and some gateways do), the formats `flufl.bounce` knows, and last the
addresses in the explanation that are not the bounce's own, a Message-ID or a header.
The reason is read from the recipient's Diagnostic-Code and Status when the text has
them, else from the lines about the recipient.
"""

from __future__ import annotations

import re
from email.message import Message

from flufl.bounce import scan_message

from gateway.bounces.model import Failure, Report
from gateway.bounces.parts import ADDR_RE, address, command, human_text, near, transcript
from gateway.bounces.providers import provider_reason
from gateway.bounces.reasons import decide, is_hard, make_fact
from gateway.bounces.rhosts import service, service_reason

# The daemon's own addresses; a postmaster@ can be the failed recipient itself.
_BOUNCE_SENDER = re.compile(r"mailer-daemon|mailerdaemon", re.I)
_FIELD = re.compile(
    r"^[ \t]*(final-recipient|original-recipient|action|status|diagnostic-code|remote-mta)[ \t]*:"
    r"[ \t]*(.*)$",
    re.I,
)
# Lines whose addresses are message identifiers or routing, never the failed recipient.
_NOT_RECIPIENT_LINE = re.compile(
    r"^[ \t>]*(?:message-id|in-reply-to|references|received|return-path|x-[\w-]+)[ \t]*:",
    re.I,
)


def read_text(msg: Message, ids: list[str]) -> Report | None:
    """The report of a free-text bounce, or None when no failed recipient is named."""
    text = human_text(msg)
    embedded = _embedded_fields(text)
    found = _failed_header(msg) or list(embedded) or _scanned(msg) or _in_text(msg, text)
    if not found:
        return None
    report = Report("text", original_ids=ids)
    full = " ".join(text.split())
    for recipient in found:
        fields = embedded.get(recipient, {})
        said = fields.get("diagnostic-code", "").partition(";")[2].strip()
        if not said:
            context = near(text, recipient, tuple(found))
            said = full if len(context) < 40 else context
        verb = command(said) or command(full) or transcript(text)
        fact = make_fact(fields.get("status", ""), said, verb, fields.get("action", ""))
        if not fact.status and fact.reply[:1] in ("4", "5"):
            fact = make_fact(f"{fact.reply[0]}.0.0", said, fact.command, fact.action)
        remote = [fields.get("remote-mta", "").partition(";")[2].strip()]
        by_service = service_reason(
            service(recipient, remote, said), said, fact.text, fact.status, fact.command
        )
        reason = provider_reason(recipient, full, by_service or decide(fact))
        code = fact.status
        report.failures.append(
            Failure(recipient, code or "5.0.0", reason, is_hard(reason, code), said[:1000])
        )
    return report


def _failed_header(msg: Message) -> list[str]:
    values = msg.get_all("x-failed-recipients") or []
    found = [a.lower() for v in values for a in ADDR_RE.findall(str(v))]
    return list(dict.fromkeys(found))


def _embedded_fields(text: str) -> dict[str, dict[str, str]]:
    """DSN fields written as text: per recipient, its Action, Status and Diagnostic-Code
    (folded lines unfolded)."""
    out: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    last = ""
    for line in text.splitlines():
        if last and current is not None and line[:1] in (" ", "\t") and line.strip():
            current[last] += " " + line.strip()
            continue
        last = ""
        m = _FIELD.match(line)
        if m is None:
            continue
        name, value = m.group(1).lower(), m.group(2).strip()
        if name in ("final-recipient", "original-recipient"):
            rcpt = address(value)
            if "@" not in rcpt:
                continue
            if rcpt not in out:
                if name == "original-recipient" and current is not None and "_final" in current:
                    continue  # the Original- line of a block its Final- line opened
                out[rcpt] = {}
            current = out[rcpt]
            if name == "final-recipient":
                current["_final"] = rcpt
        elif current is not None and name not in current:
            current[name] = value
            last = name
    return out


def _scanned(msg: Message) -> list[str]:
    return sorted(a.decode("utf-8", "replace").lower() for a in scan_message(msg))


def _in_text(msg: Message, text: str) -> list[str]:
    """The first address in the explanation that is not the bounce's own nor an identifier."""
    own = {a.lower() for a in ADDR_RE.findall(str(msg.get("from", "")) + str(msg.get("to", "")))}
    for line in text.splitlines():
        if _NOT_RECIPIENT_LINE.match(line):
            continue
        for a in ADDR_RE.findall(line):
            a = a.lower()
            if a not in own and not _BOUNCE_SENDER.search(a):
                return [a]
    return []
