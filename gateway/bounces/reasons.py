"""A reason in sisimai's vocabulary from a status code (RFC 3463) and the diagnostic text.

The precedence is sisimai's. First the reasons that the status code, the reply code or a
specific text prove, tried in a fixed order (a full mailbox reported with 5.1.1 is full;
"user unknown" answered after DATA is a filter's word). When none does, the reason the
code names stands unless it is one worth a second look (RETRY: "undefined", "expired",
"userunknown"...): then the other patterns are tried, then the class of the code, the
reply code, the DSN's action and the SMTP command. A text that still says nothing
known is `onhold`; no text at all, `undefined`.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.bounces.codes import find_command, find_reply, find_status, prefer, status_reason
from gateway.bounces.hosts import host_verdict
from gateway.bounces.patterns import matches

PROVED_ORDER = (
    "mailboxfull", "mesgtoobig", "exceedlimit", "suspend", "hasmoved", "norelaying",
    "authfailure", "userunknown", "filtered", "requireptr", "notcompliantrfc",
    "badreputation", "contenterror", "rejected", "hostunknown", "spamdetected", "speeding",
    "toomanyconn", "blocked",
)  # fmt: skip
OTHER_ORDER = (
    "mailboxfull", "authfailure", "badreputation", "speeding", "spamdetected",
    "virusdetected", "policyviolation", "norelaying", "systemerror", "networkerror",
    "suspend", "contenterror", "systemfull", "notaccept", "expired", "securityerror",
    "mailererror",
)  # fmt: skip
# Every reason the text alone can give, each once: for callers that list them.
ORDER = tuple(dict.fromkeys(PROVED_ORDER + OTHER_ORDER))
RETRY = frozenset(
    ("", "undefined", "onhold", "systemerror", "securityerror", "expired", "networkerror",
     "hostunknown", "userunknown")
)  # fmt: skip
# Commands before DATA: a refusal there cannot be about the message's content.
BEFORE_DATA = frozenset(("CONN", "EHLO", "HELO", "MAIL", "RCPT"))
# Found in a "5.1.1" text, these tell a different story than the missing mailbox.
_NOT_UNKNOWN = ("norelaying", "blocked", "mailboxfull", "hasmoved", "rejected", "notaccept")
HARD = {"userunknown", "hostunknown", "hasmoved"}


@dataclass(frozen=True)
class Fact:
    """What one failure says, as far as the reason is concerned."""

    status: str  # the enhanced status code kept ("" when none)
    text: str  # the diagnostic, lower case, whitespace folded
    command: str  # RCPT, MAIL, DATA, CONN, HELO, EHLO or ""
    reply: str  # the SMTP reply code ("" when none)
    dtype: str  # the Diagnostic-Code's type: SMTP, X-UNIX, X-POSTFIX
    action: str  # the DSN's Action, lower case
    preset: str = ""  # what the MTA's own sentence says (host_rules), "" when none
    # The MTA's own format was read whole (lhosts) and names no command: the command is
    # unknown, not merely unsaid, and is not guessed.
    read_whole: bool = False

    @property
    def by_code(self) -> str:
        return status_reason(self.status)


def make_fact(
    status: str, diagnostic: str, command: str = "", action: str = "", dtype: str = ""
) -> Fact:
    """The fact for `classify`: the status code the Status field and the diagnostic agree
    on best, the reply code and the command the diagnostic names when none is given."""
    said = find_status(diagnostic)
    reply = find_reply(diagnostic, said)
    code = prefer((status or "").strip(), said, reply)
    text = " ".join(_unfold(diagnostic, reply, said).lower().split())
    preset, verb = host_verdict(text)
    command = (command or verb or find_command(diagnostic)).upper()
    if preset == "expired" and command == "MAIL":
        preset = "onhold"  # a sender refused while retrying: the remote's words decide
    if "(state " in text and said and ".0" not in said and status_reason(said):
        preset = status_reason(said)  # Gmail: the remote's code is more precise
    return Fact(code, text, command, reply, (dtype or "SMTP").upper(), action.lower(), preset)


def _unfold(text: str, reply: str, said: str) -> str:
    """A multi-line SMTP reply ("550-5.7.1 Our system ... 550-5.7.1 likely unsolicited") as
    one sentence behind one code, so that a phrase broken across its lines still matches."""
    if not reply or f"{reply}-" not in text:
        return text
    for sep in ("-", " "):
        if said:
            text = text.replace(f"{reply}{sep}{said}", "")
        text = text.replace(f"{reply}{sep}", "")
    return f"{reply} {said} {text}" if reply not in text else text


def classify(
    status: str, diagnostic: str, command: str = "", action: str = "", dtype: str = ""
) -> str:
    """The reason for one failed recipient; 'undefined' when nothing tells.

    `command` is the SMTP command the remote server answered when the report says;
    `action` the DSN's Action field; `dtype` the type of its Diagnostic-Code.
    """
    return decide(make_fact(status, diagnostic, command, action, dtype))


def decide(f: Fact) -> str:
    """The reason for `f` by sisimai's precedence."""
    if f.status.startswith("2."):
        return "delivered"
    if f.preset and f.preset not in RETRY:
        return f.preset
    if f.dtype == "SMTP":
        for reason in PROVED_ORDER:
            if _proved(reason, f):
                return reason
    found = _another(f)
    if found and found not in ("undefined", "onhold"):
        return found
    if f.action == "delayed":
        return "expired"
    if matches("vacation", f.text):
        return "vacation"
    return "onhold" if f.text else "undefined"


def _proved(reason: str, f: Fact) -> bool:
    """Whether the codes or the text prove `reason` (sisimai's per-reason test)."""
    if f.preset == reason:
        return True
    code = f.by_code
    if reason == "userunknown":
        if code == "suspend":
            return False
        if code == "userunknown":
            return not any(matches(r, f.text) for r in _NOT_UNKNOWN)
        # A report that does not name the command is read as refused at RCPT when its
        # code names no cause (none, X.0.0, a provider's own 5.1.351): the refusals MTAs
        # report recipient by recipient without it mostly are. A code naming another
        # cause (5.2.1, 5.7.1) is read as sisimai reads it: without the command, not an
        # unknown user.
        vague = code in ("", "undefined", "onhold") or f.status[1:] == ".0.0"
        guess = not f.command and vague and not f.read_whole
        return (f.command == "RCPT" or guess) and matches("userunknown", f.text)
    if reason == "filtered":
        if code == "suspend":
            return False
        said = matches("filtered", f.text) or matches("userunknown", f.text)
        return said if code == "filtered" or f.command not in BEFORE_DATA else False
    if reason == "rejected":
        if code == "rejected":
            return True
        if f.command == "MAIL" or (f.command == "DATA" and code != "userunknown"):
            return matches("rejected", f.text)
        return code in ("", "onhold", "undefined", "securityerror", "systemerror") and matches(
            "rejected", f.text
        )
    if reason == "hostunknown" and code == "hostunknown":
        return not matches("networkerror", f.text)
    if reason == "mesgtoobig":
        if code == "mesgtoobig":
            return True
        if code == "exceedlimit" or f.status == "5.2.3":
            return False
    if reason == "suspend" and f.reply == "525":
        return True
    if reason == "norelaying" and f.command in ("CONN", "EHLO", "HELO"):
        return False
    if reason == "contenterror" and _proved("spamdetected", f):
        return False
    if reason == "spamdetected":
        if not f.status:
            return False
        if code == "spamdetected":
            return True
        return f.command not in BEFORE_DATA and matches(reason, f.text)
    if reason in ("hasmoved", "norelaying", "notcompliantrfc", "badreputation", "speeding"):
        return matches(reason, f.text)  # their codes alone do not prove them
    return code == reason or matches(reason, f.text)


def _another(f: Fact) -> str:
    """sisimai's fallback: the code's own reason unless it is one worth a second look."""
    if f.preset not in ("", "undefined", "onhold"):
        return f.preset
    code = f.by_code
    if code not in RETRY and f.dtype == "SMTP":
        return code
    for reason in OTHER_ORDER:
        if matches(reason, f.text):
            return reason
    if code:
        return code
    if f.status[:3] in ("5.6", "4.6"):
        return "contenterror"
    if f.status[:3] in ("5.7", "4.7"):
        return "securityerror"
    if f.dtype.startswith("X-UNIX"):
        return "mailererror"
    if f.reply.isdigit() and (400 < int(f.reply) < 408 or 500 < int(f.reply) < 508):
        return "syntaxerror"
    if f.action in ("delayed", "expired"):
        return "expired"
    if f.command in ("EHLO", "HELO"):
        return "blocked"
    return ""


def is_hard(reason: str, status: str) -> bool:
    """A hard bounce: the address will not work tomorrow either."""
    if reason in HARD:
        return True
    # A domain that takes no mail (null MX): hard unless the code says it is temporary;
    # no code at all is hard too (sisimai's rule).
    return reason == "notaccept" and not status.startswith("4")
