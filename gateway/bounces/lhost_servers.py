"""Mail servers' and list managers' own bounce formats: Trend Micro InterScan MSS, fml,
Zoho Mail, Apache James and Sendmail 5, told by their headers and read line by line as
they write (the formats as sisimai, BSD-2-Clause, documents them)."""

# ruff: noqa: E501
# (The sentences are the MTAs' texts, kept whole so that each can be searched for as written.)
from __future__ import annotations

import re

from gateway.bounces.lhost_common import ADDR, Entry, Headers, cut, new_entry, sweep

_INTERSCAN_SUBJECTS = (
    "Mail could not be delivered",
    "メッセージを配信できません。",
    "メール配信に失敗しました",
)


def interscan(head: Headers, received: list[str], text: str) -> list[Entry] | None:
    """InterScan MSS: "Sent <<< RCPT TO:<addr>", "Received >>> 550 ...", or "Unable to
    deliver message to <addr>" (its wording for an unknown address)."""
    if not (
        head["from"].startswith('"InterScan')
        or "InterScan" in head["content-type"]
        or head["subject"] in _INTERSCAN_SUBJECTS
    ):
        return None
    entries: list[Entry] = [Entry()]
    for line in text.splitlines():
        m = re.match(rf"^.+[<>]{{3}}[ \t]+.+<{ADDR}>", line)
        unable = re.search(rf"Unable to deliver .*<{ADDR}>", line)
        found = m or unable
        if found is not None:
            address = found.group(1).lower()
            if entries[-1].recipient and address != entries[-1].recipient:
                entries.append(Entry())
            entries[-1].recipient = address
            if unable:
                entries[-1].diagnostic = line
        if m := re.match(r"^Sent[ ]+<{3}[ ]+([A-Z]{4})[ ]", line):
            entries[-1].command = m.group(1)
        elif m := re.match(r"^Received[ ]+>{3}[ ]+(\d{3}[ ]+.+)$", line):
            entries[-1].diagnostic = m.group(1)
        elif m := re.search(r" >{3} ([A-Z]{4})", line):
            entries[-1].command = m.group(1)
        elif m := re.search(r" <{3} (.+)", line):
            entries[-1].diagnostic = m.group(1)
    for e in entries:
        e.diagnostic = sweep(e.diagnostic)
        # "Unable to deliver message to <addr>": its way of saying the address is unknown.
        e.reason = "userunknown" if "Unable to deliver" in e.diagnostic else ""
    return entries if any(e.recipient for e in entries) else None


# fml: the list's administrative notices, by the sentence and then the subject.
_FML_TABLE = (
    ("rejected", re.compile(
        r"(?:Ignored )*NOT MEMBER article from |reject (?:mail from .+@.+|since .+ header may cause mail loop"
        r"|spammers:)|You are not a member of this mailing list")),
    ("systemerror", re.compile(
        r"Duplicated Message-ID|fml .+ has detected a loop condition so that|Loop Back Warning:")),
    ("securityerror", re.compile(r"Security alert:")),
)  # fmt: skip
_FML_TITLE = (
    ("rejected", re.compile(
        r"(?:Ignored )*NOT MEMBER article from |reject mail (?:.+:|from) ,"
        r"|Spam mail from a spammer is rejected|You .+ are not member")),
    ("systemerror", re.compile(
        r"fml system error message|Loop Alert: |Loop Back Warning: |WARNING: UNIX FROM Loop")),
    ("securityerror", re.compile(r"Security Alert")),
)  # fmt: skip


def fml(head: Headers, received: list[str], text: str) -> list[Entry] | None:
    """fml: the list admin's notice naming "<list@host>." and why, by sentence or subject."""
    if not head["x-mlserver"] or not re.search(r".+-admin@.+", head["from"]):
        return None
    if not re.match(r"^<\d+\.FML.+@.+>$", head["message-id"]):
        return None
    entries: list[Entry] = [Entry()]
    for line in cut(text, re.compile(r"^Original mail as follows:", re.M)):
        if not line.strip():
            continue
        if m := re.search(r"<([^ ]+?@[^ ]+?)>\.$", line):
            entry = new_entry(entries)
            entry.recipient, entry.diagnostic = m.group(1).lower(), line
        else:
            entries[-1].diagnostic += " " + line
    for e in entries:
        e.diagnostic = sweep(e.diagnostic)
        e.reason = next((r for r, rx in _FML_TABLE if rx.search(e.diagnostic)), "")
        e.reason = e.reason or next((r for r, rx in _FML_TITLE if rx.search(head["subject"])), "")
    return entries if any(e.recipient for e in entries) else None


def zoho(head: Headers, received: list[str], text: str) -> list[Entry] | None:
    """Zoho Mail: "addr Invalid Address, ERROR_CODE :550, ..." or "[Status: ..., <addr>, ...]"."""
    if not head["x-zohomail"]:
        return None
    entries: list[Entry] = [Entry()]
    started = False
    backbone = re.compile(r"^Received:[ ]*from mail\.zoho\.com by mx\.zohomail\.com", re.M)
    for line in cut(text, backbone):
        if not started:
            started = line.startswith("This message was created automatically by mail delivery")
            continue
        if m := re.match(r"^([^ ]+@[^ ]+)[ \t]+(.+)$", line):
            entry = new_entry(entries)
            entry.recipient, entry.diagnostic = m.group(1).lower(), m.group(2)
        elif m := re.match(rf"^\[Status: .+<{ADDR}>,", line):
            entry = new_entry(entries)
            entry.recipient, entry.diagnostic = m.group(1).lower(), line
    for e in entries:
        e.diagnostic = sweep(e.diagnostic)
        e.reason = "expired" if "Host not reachable" in e.diagnostic else ""
    return entries if any(e.recipient for e in entries) else None


_V5_BOUNDARY = re.compile(
    r"^ *----- (?:Unsent message follows|No message was collected) -----", re.M
)
_V5_RECIPIENT = re.compile(r" <([^ <>]*@[^ <>]+)>\.\.\.")
_V5_RCPT_TO = re.compile(r">>> RCPT TO:\s*<([^ <>]*@[^ <>]+)>", re.I)
_V5_HOST = re.compile(r"While talking to ([\w.-]+\.[a-z]{2,})", re.I)
_V5_COMMAND = re.compile(r"^>>> ([A-Za-z]{4})")


def v5sendmail(head: Headers, received: list[str], text: str) -> list[Entry] | None:
    """Sendmail 5 and its kin: a session transcript ("While talking to host:", ">>> DATA",
    "<<< 550 ...") then one "550 <addr>... reason" line per recipient, no DSN."""
    if not head["subject"].startswith("Returned mail: ") or not _V5_BOUNDARY.search(text):
        return None
    entries: list[Entry] = [Entry()]
    others: dict[int, str] = {}  # lines before any remote host, per recipient number
    started, host, command = False, "", ""
    for line in cut(text, _V5_BOUNDARY):
        if not started:
            started = "----- Transcript of session follows -----" in line
            continue
        if not line.strip():
            continue
        if m := _V5_COMMAND.match(line):
            command = m.group(1).upper()
        named = _V5_RECIPIENT.search(line) or _V5_RCPT_TO.search(line)
        if named:
            address = named.group(1).lower()
            if not host:
                others[len(entries) - 1] = others.get(len(entries) - 1, "") + " " + line
                continue
            current = entries[-1]
            if address == current.recipient or (command == "MAIL" and line.startswith("<<< ")):
                current.diagnostic += " " + line
                command = ""
            else:
                current = new_entry(entries)
                current.recipient = address
                current.diagnostic += " " + line
                current.command = current.command or command
        elif m := _V5_HOST.search(line):
            host = m.group(1)
        elif line.startswith((">>> ", "<<< ")):
            entries[-1].diagnostic += " " + line
        else:
            others[len(entries) - 1] = others.get(len(entries) - 1, "") + " " + line
    for i, e in enumerate(entries):
        e.diagnostic = sweep(e.diagnostic or others.get(i, ""))
        said = _V5_COMMAND_IN.search(e.diagnostic)
        if not e.command and said:
            e.command = said.group(1).upper()
    return entries if any(e.recipient for e in entries) else None


_V5_COMMAND_IN = re.compile(r">>> ([A-Za-z]{4})")


def james(head: Headers, received: list[str], text: str) -> list[Entry] | None:
    """Apache James: "Error message below:" then the remote's reply, and the recipient in
    the "Message details" block ("  RCPT TO: addr")."""
    if (
        not (
            head["subject"] == "[BOUNCE]"
            or ".JavaMail." in head["message-id"]
            or any("JAMES SMTP Server" in r for r in received)
        )
        or "Error message below:" not in text
    ):
        return None
    entries: list[Entry] = [Entry()]
    said: list[str] = []
    reading = False
    for line in text.splitlines():
        if m := re.match(rf"^[ ]+RCPT TO: {ADDR}$", line):
            new_entry(entries).recipient = m.group(1).lower()
        elif line.strip() == "Error message below:":
            reading, said = True, [line.strip()]
        elif reading and line.strip() and not line.startswith("Message details:"):
            said.append(line.strip())
        else:
            reading = False
    for e in entries:
        e.diagnostic = sweep(" ".join(said))
    return entries if any(e.recipient for e in entries) else None
