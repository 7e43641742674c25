"""Bounces of MTAs and carriers with a format of their own: au (KDDI, EZweb), Verizon,
Trend Micro InterScan MSS, the fml mailing-list manager, Zoho Mail, Apache James and
Sendmail 5.

Each is told by its own headers (sender, subject, Received, X-Mlserver, X-ZohoMail) and
read line by line as its software writes: the failed recipients, the refused command, the
diagnostic, and the reason its own sentences give ("As their mailbox is full"). The
formats are as sisimai (BSD-2-Clause) documents them per MTA. A reason found here is the
MTA's own verdict; the generic rules still come first where sisimai's do.
"""

# ruff: noqa: E501
# (The sentences are the MTAs' texts, kept whole so that each can be searched for as written.)
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

Headers = dict[str, str]


@dataclass
class Entry:
    """One recipient as an MTA's own format reports it."""

    recipient: str = ""
    diagnostic: str = ""
    command: str = ""
    status: str = ""
    reason: str = ""  # the MTA's own verdict, "" when its sentences do not give one
    extra: list[str] = field(default_factory=list)  # lines kept when nothing else explains


_ADDR = r"([^ <>]+@[^ <>]+)"


def read_lhost(msg: Message, text: str) -> list[Entry] | None:
    """The failures an MTA with a format of its own reports in `msg` (whose readable
    explanation is `text`), or None when it is none of them."""
    head = _headers(msg)
    received = [str(v) for v in msg.get_all("received") or []]
    readers = (_ezweb, _kddi, _verizon, _interscan, _fml, _zoho, _james, _v5sendmail)
    for reader in readers:
        found = reader(head, received, text)
        if found:
            return [e for e in found if e.recipient]
    return None


def _headers(msg: Message) -> Headers:
    names = ("from", "subject", "message-id", "reply-to", "x-spasign", "x-mlserver", "content-type")
    head = {n: " ".join(str(msg.get(n, "")).split()) for n in names}
    head["x-zohomail"] = "1" if msg.get("x-zohomail") is not None else ""
    return head


def _sweep(text: str) -> str:
    return " ".join(text.split())


def _cut(text: str, marker: re.Pattern[str]) -> list[str]:
    found = marker.search(text)
    return (text[: found.start()] if found else text).splitlines()


def _new(entries: list[Entry]) -> Entry:
    """The entry a new recipient line fills: the current one while it has no recipient
    (lines before the first address belong to it), else a fresh one."""
    if entries and not entries[-1].recipient:
        return entries[-1]
    entries.append(Entry())
    return entries[-1]


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


def _ezweb(head: Headers, received: list[str], text: str) -> list[Entry] | None:
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
    for line in _cut(text, _EZWEB_BACKBONE):
        started = started or bool(_EZWEB_START.match(line))
        if not started or not line.strip():
            continue
        m = (
            re.match(rf"^<{_ADDR}>$", line)
            or re.match(rf"^<{_ADDR}>:?(.*)$", line)
            or re.match(rf"^[ \t]+Recipient: <{_ADDR}>", line)
        )
        dsn = _DSN_LINE.match(line)
        if m:
            _new(entries).recipient = m.group(1).lower()
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
        alternative = _sweep(" ".join(e.extra))
        e.diagnostic = _sweep(e.diagnostic) or alternative
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


def _kddi(head: Headers, received: list[str], text: str) -> list[Entry] | None:
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
        if m := re.match(rf"^[ \t]+Could not be delivered to: <{_ADDR}>", line):
            _new(entries).recipient = m.group(1).lower()
        elif line.startswith((" ", "\t")):
            entries[-1].diagnostic += " " + line
    if not any(e.recipient for e in entries):
        return None
    for e in entries:
        e.diagnostic = _sweep(e.diagnostic)
        if head["x-spasign"] == "NG":
            e.reason = "filtered"
        else:
            e.reason = next((r for r, p in _KDDI_MESSAGES if p in e.diagnostic), "")
    return entries


def _verizon(head: Headers, received: list[str], text: str) -> list[Entry] | None:
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
            _new(entries).recipient = address.group(0).lower() if address else ""
        elif diag.match(line):
            entries[-1].diagnostic = line
    for e in entries:
        e.diagnostic = _sweep(e.diagnostic)
        e.reason = "userunknown" if unknown in e.diagnostic else ""
    return entries if any(e.recipient for e in entries) else None


_INTERSCAN_SUBJECTS = (
    "Mail could not be delivered",
    "メッセージを配信できません。",
    "メール配信に失敗しました",
)


def _interscan(head: Headers, received: list[str], text: str) -> list[Entry] | None:
    if not (
        head["from"].startswith('"InterScan')
        or "InterScan" in head["content-type"]
        or head["subject"] in _INTERSCAN_SUBJECTS
    ):
        return None
    entries: list[Entry] = [Entry()]
    for line in text.splitlines():
        m = re.match(rf"^.+[<>]{{3}}[ \t]+.+<{_ADDR}>", line)
        unable = re.search(rf"Unable to deliver .*<{_ADDR}>", line)
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
        e.diagnostic = _sweep(e.diagnostic)
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


def _fml(head: Headers, received: list[str], text: str) -> list[Entry] | None:
    if not head["x-mlserver"] or not re.search(r".+-admin@.+", head["from"]):
        return None
    if not re.match(r"^<\d+\.FML.+@.+>$", head["message-id"]):
        return None
    entries: list[Entry] = [Entry()]
    for line in _cut(text, re.compile(r"^Original mail as follows:", re.M)):
        if not line.strip():
            continue
        if m := re.search(r"<([^ ]+?@[^ ]+?)>\.$", line):
            entry = _new(entries)
            entry.recipient, entry.diagnostic = m.group(1).lower(), line
        else:
            entries[-1].diagnostic += " " + line
    for e in entries:
        e.diagnostic = _sweep(e.diagnostic)
        e.reason = next((r for r, rx in _FML_TABLE if rx.search(e.diagnostic)), "")
        e.reason = e.reason or next((r for r, rx in _FML_TITLE if rx.search(head["subject"])), "")
    return entries if any(e.recipient for e in entries) else None


def _zoho(head: Headers, received: list[str], text: str) -> list[Entry] | None:
    if not head["x-zohomail"]:
        return None
    entries: list[Entry] = [Entry()]
    started = False
    cut = re.compile(r"^Received:[ ]*from mail\.zoho\.com by mx\.zohomail\.com", re.M)
    for line in _cut(text, cut):
        if not started:
            started = line.startswith("This message was created automatically by mail delivery")
            continue
        if m := re.match(r"^([^ ]+@[^ ]+)[ \t]+(.+)$", line):
            entry = _new(entries)
            entry.recipient, entry.diagnostic = m.group(1).lower(), m.group(2)
        elif m := re.match(rf"^\[Status: .+<{_ADDR}>,", line):
            entry = _new(entries)
            entry.recipient, entry.diagnostic = m.group(1).lower(), line
    for e in entries:
        e.diagnostic = _sweep(e.diagnostic)
        e.reason = "expired" if "Host not reachable" in e.diagnostic else ""
    return entries if any(e.recipient for e in entries) else None


_V5_BOUNDARY = re.compile(
    r"^ *----- (?:Unsent message follows|No message was collected) -----", re.M
)
_V5_RECIPIENT = re.compile(r" <([^ <>]*@[^ <>]+)>\.\.\.")
_V5_RCPT_TO = re.compile(r">>> RCPT TO:\s*<([^ <>]*@[^ <>]+)>", re.I)
_V5_HOST = re.compile(r"While talking to ([\w.-]+\.[a-z]{2,})", re.I)
_V5_COMMAND = re.compile(r"^>>> ([A-Za-z]{4})")


def _v5sendmail(head: Headers, received: list[str], text: str) -> list[Entry] | None:
    """Sendmail 5 and its kin: a session transcript ("While talking to host:", ">>> DATA",
    "<<< 550 ...") then one "550 <addr>... reason" line per recipient, no DSN."""
    if not head["subject"].startswith("Returned mail: ") or not _V5_BOUNDARY.search(text):
        return None
    entries: list[Entry] = [Entry()]
    others: dict[int, str] = {}  # lines before any remote host, per recipient number
    started, host, command = False, "", ""
    for line in _cut(text, _V5_BOUNDARY):
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
                current = _new(entries)
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
        e.diagnostic = _sweep(e.diagnostic or others.get(i, ""))
        said = _V5_COMMAND_IN.search(e.diagnostic)
        if not e.command and said:
            e.command = said.group(1).upper()
    return entries if any(e.recipient for e in entries) else None


_V5_COMMAND_IN = re.compile(r">>> ([A-Za-z]{4})")


def _james(head: Headers, received: list[str], text: str) -> list[Entry] | None:
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
        if m := re.match(rf"^[ ]+RCPT TO: {_ADDR}$", line):
            _new(entries).recipient = m.group(1).lower()
        elif line.strip() == "Error message below:":
            reading, said = True, [line.strip()]
        elif reading and line.strip() and not line.startswith("Message details:"):
            said.append(line.strip())
        else:
            reading = False
    for e in entries:
        e.diagnostic = _sweep(" ".join(said))
    return entries if any(e.recipient for e in entries) else None
