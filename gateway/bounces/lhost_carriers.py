"""Mobile carriers' own bounce formats: au (EZweb, KDDI) and Verizon Wireless, told by
their senders and Received hosts and read line by line as their systems write (the
formats as sisimai, BSD-2-Clause, documents them)."""

# ruff: noqa: E501
# (The sentences are the MTAs' texts, kept whole so that each can be searched for as written.)
from __future__ import annotations

import re

from gateway.bounces.lhost_common import ADDR, Entry, Headers, cut, new_entry, sweep

# au EZweb: "The user(s) account is disabled." then "<addr>: 550 ..." or a transcript.
_EZWEB_START = re.compile(r"^(?:The user\(s\) |Your message |Each of the following|<[^ ]+@[^ ]+>$)")
_EZWEB_FAILURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mailboxfull", ("The user(s) account is temporarily over quota",)),
    ("suspend", ("The user(s) account is disabled.", "The user(s) account is temporarily limited.")),
    ("expired", ("Your message was not delivered within ",)),
    ("onhold", ("Each of the following recipients was rejected by a remote mail server",)),
)  # fmt: skip
_EZWEB_BACKBONE = re.compile(r"^(?:-{50}|Content-Type:[ ]*message/rfc822)", re.M | re.I)
_DSN_LINE = re.compile(r"^(Status|Diagnostic-Code|Action):\s*(.*)$", re.I)


def ezweb(head: Headers, received: list[str], text: str) -> list[Entry] | None:
    """au EZweb: the account's state ("is disabled"), then each "<addr>" or transcript."""
    score = sum(
        (
            "Postmaster@ezweb.ne.jp" in head["from"],
            "Postmaster@au.com" in head["from"],
            head["subject"] == "Mail System Error - Returned Mail",
            any("ezweb.ne.jp (EZweb Mail) with" in r for r in received),
            any(".au.com (" in r for r in received),
            head["message-id"].endswith((".ezweb.ne.jp>", ".au.com>")),
        )
    )
    if score < 2:
        return None
    entries: list[Entry] = [Entry()]
    started = False
    phrases = [p for _, ps in _EZWEB_FAILURES for p in ps]
    for line in cut(text, _EZWEB_BACKBONE):
        started = started or bool(_EZWEB_START.match(line))
        if not started or not line.strip():
            continue
        m = (
            re.match(rf"^<{ADDR}>$", line)
            or re.match(rf"^<{ADDR}>:?(.*)$", line)
            or re.match(rf"^[ \t]+Recipient: <{ADDR}>", line)
        )
        dsn = _DSN_LINE.match(line)
        if m:
            new_entry(entries).recipient = m.group(1).lower()
        elif dsn:
            name, value = dsn.group(1).lower(), dsn.group(2).strip()
            if name == "status":
                entries[-1].status = value
            elif name == "diagnostic-code":
                entries[-1].diagnostic += " " + value.partition(";")[2]
        elif cmd := re.match(r"^[ \t]+>{3}[ \t]+([A-Z]{4})", line):
            entries[-1].command = cmd.group(1)
        elif any(p in line for p in phrases):
            entries[-1].diagnostic += " " + line
        else:
            entries[-1].extra.append(line)
    for e in entries:
        alternative = sweep(" ".join(e.extra))
        e.diagnostic = sweep(e.diagnostic) or alternative
        if head["x-spasign"] == "NG":
            e.reason = "filtered"  # au's spam filter marks what it refused
        elif e.command == "RCPT":
            e.reason = "userunknown"
        else:
            e.reason = next(
                (r for r, ps in _EZWEB_FAILURES if any(p in e.diagnostic for p in ps)), ""
            )
        if not e.reason and not e.recipient.endswith(("@ezweb.ne.jp", "@au.com")):
            e.reason = "userunknown"
    return entries


# au by KDDI: "Your mail sent on: ..." then "    Could not be delivered to: <addr>".
_KDDI_START = re.compile(
    r"^Your mail (?:sent on:? [A-Z][a-z]{2},|attempted to be delivered on:? [A-Z][a-z]{2},)"
)
_KDDI_MESSAGES = (
    ("mailboxfull", "As their mailbox is full"),
    ("norelaying", "Due to the following SMTP relay error"),
    ("hostunknown", "As the remote domain doesnt exist"),
)


def kddi(head: Headers, received: list[str], text: str) -> list[Entry] | None:
    """au by KDDI: "Your mail sent on: ...", then "Could not be delivered to: <addr>"."""
    if not (
        re.search(r"no-reply@.+\.dion\.ne\.jp", head["from"])
        or head["reply-to"] == "no-reply@app.auone-net.jp"
        or any("ezweb.ne.jp (" in r or ".au.com (" in r for r in received)
    ):
        return None
    entries: list[Entry] = [Entry()]
    started = False
    for line in text.splitlines():
        if not started:
            started = bool(_KDDI_START.match(line))
            continue
        if m := re.match(rf"^[ \t]+Could not be delivered to: <{ADDR}>", line):
            new_entry(entries).recipient = m.group(1).lower()
        elif line.startswith((" ", "\t")):
            entries[-1].diagnostic += " " + line
    if not any(e.recipient for e in entries):
        return None
    for e in entries:
        e.diagnostic = sweep(e.diagnostic)
        if head["x-spasign"] == "NG":
            e.reason = "filtered"
        else:
            e.reason = next((r for r, p in _KDDI_MESSAGES if p in e.diagnostic), "")
    return entries


def verizon(head: Headers, received: list[str], text: str) -> list[Entry] | None:
    """Verizon Wireless: vtext.com's "Error:" notice or vzwpix.com's MMS one."""
    if not any(".vtext.com (" in r for r in received):
        return None
    entries: list[Entry] = [Entry()]
    if head["from"].strip("<>") == "post_master@vtext.com":
        start, unknown = (
            re.compile(r"^Error:[ \t]"),
            "550 - Requested action not taken: no such user here",
        )
        rcpt, diag = re.compile(r"^[ \t]+RCPT TO: (.*)$"), re.compile(r"^\d{3}[ \t]-[ \t].*$")
    elif re.search(r"<?sysadmin@.+\.vzwpix\.com>?$", head["from"]):
        start, unknown = (
            re.compile(r"^Message could not be delivered to mobile"),
            "No valid recipients for this MM",
        )
        rcpt, diag = re.compile(r"^To:[ \t]+(.*)$"), re.compile(r"^Error:[ \t]+.+$")
    else:
        return None
    started = False
    for line in text.splitlines():
        if not started:
            started = bool(start.match(line))
            continue
        if m := rcpt.match(line):
            address = re.search(r"[^ <>]+@[^ <>]+", m.group(1))
            new_entry(entries).recipient = address.group(0).lower() if address else ""
        elif diag.match(line):
            entries[-1].diagnostic = line
    for e in entries:
        e.diagnostic = sweep(e.diagnostic)
        e.reason = "userunknown" if unknown in e.diagnostic else ""
    return entries if any(e.recipient for e in entries) else None
