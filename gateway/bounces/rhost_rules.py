"""What the big receiving services mean by their own error codes and wordings.

Per service: the host names that are its (a recipient's domain or the remote MTA's name
ending so), the codes it prints ("LPN007_416", "AUP#CXBL", " IB212") and the phrases it
uses, each with a reason in sisimai's vocabulary. The knowledge is the services' own
postmaster pages as sisimai (BSD-2-Clause) collected them.
"""

# ruff: noqa: E501
# (The phrases are the services' texts, kept whole so that each can be searched for as written.)
from __future__ import annotations

HOSTS: dict[str, tuple[str, ...]] = {
    "cox": ("cox.net",),
    "franceptt": (".laposte.net", ".orange.fr", ".wanadoo.fr"),
    "godaddy": ("smtp.secureserver.net", "mailstore1.secureserver.net"),
    "google": ("aspmx.l.google.com", "gmail-smtp-in.l.google.com"),
    "kddi": ("lsean.ezweb.ne.jp", "msmx.au.com"),
    "microsoft": (".protection.outlook.com", ".prod.outlook.com"),
    "mimecast": (".mimecast.com", ".mimecast-offshore.com"),
    "nttdocomo": ("mfsmax.docomo.ne.jp",),
    "spectrum": ("charter.net",),
    "tencent": (".qq.com",),
    "yahooinc": (".yahoodns.net",),
}  # fmt: skip

# Orange / La Poste: the number after "LPN", "OFR" or "OUK" in the error label.
FRANCEPTT_CODES: dict[str, str] = {
    "101": "blocked", "102": "blocked", "103": "blocked", "104": "toomanyconn",
    "305": "securityerror", "401": "authfailure", "402": "securityerror", "403": "rejected",
    "405": "rejected", "415": "rejected", "416": "userunknown", "417": "mailboxfull",
    "420": "suspend", "421": "rejected", "426": "suspend", "505": "systemerror",
    "506": "spamdetected", "510": "blocked", "514": "mesgtoobig", "517": "authfailure",
    "630": "policyviolation", "999": "blocked",
    # Codes Orange uses for several causes: they name no reason.
    "105": "", "107": "", "108": "", "109": "", "201": "", "423": "", "424": "", "513": "",
}  # fmt: skip
# Cox: the label after "AUP#"; GoDaddy: the " IBnnn" label.
COX_CODES: dict[str, str] = {
    "CXBL": "blocked", "CXDNS": "requireptr", "CXSNDR": "authfailure", "CXSMTP": "rejected",
    "CXCNCT": "toomanyconn", "CXMXRT": "toomanyconn", "CDRBL": "blocked",
    "CXTHRT": "securityerror", "CXMJ": "securityerror",
    "IPBL0001": "blocked", "IPBL0010": "blocked", "IPBL0100": "blocked", "IPBL0011": "blocked",
    "IPBL0101": "blocked", "IPBL0110": "blocked", "IPBL0111": "blocked", "IPBL1000": "blocked",
    "IPBL1001": "blocked", "IPBL1010": "blocked", "IPBL1011": "blocked", "IPBL1100": "blocked",
    "IPBL1101": "blocked", "IPBL1110": "blocked", "IPBL1111": "blocked", "IPBL00001": "blocked",
    "URLBL011": "spamdetected", "URLBL101": "spamdetected", "URLBL110": "spamdetected",
    "URLBL1001": "spamdetected",
}  # fmt: skip
GODADDY_CODES: dict[str, str] = {
    "IB401": "securityerror", "IB501": "notcompliantrfc", "IB502": "notcompliantrfc",
    "IB506": "rejected", "IB508": "authfailure", "IB108": "requireptr", "IB212": "spamdetected",
    "IB705": "virusdetected", "IB605": "toomanyconn", "IB007": "toomanyconn", "IB101": "speeding",
    "IB110": "blocked", "IB111": "blocked", "IB112": "blocked", "IB113": "blocked",
    "IB504": "speeding", "IB510": "speeding", "IB607": "speeding", "IB103": "badreputation",
    "IB104": "blocked", "IB105": "blocked", "IB106": "blocked",
}  # fmt: skip
# Spectrum (Charter): "AUP#" and four digits, single codes or ranges.
SPECTRUM_CODES: tuple[tuple[int, int, str], ...] = (
    (1000, 1000, "blocked"), (1010, 1010, "rejected"), (1020, 1080, "rejected"),
    (1090, 1090, "systemerror"), (1100, 1150, "requireptr"), (1160, 1190, "policyviolation"),
    (1200, 1210, "blocked"), (1220, 1250, "blocked"), (1260, 1260, "networkerror"),
    (1300, 1340, "toomanyconn"), (1350, 1490, "speeding"), (1500, 1500, "rejected"),
    (1520, 1520, "rejected"), (1530, 1530, "mesgtoobig"), (1540, 1540, "speeding"),
    (1550, 1550, "speeding"), (1560, 1560, "policyviolation"), (1580, 1580, "speeding"),
)  # fmt: skip

# Phrases per service (lower case), tried after its codes.
MESSAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "cox": {
        "blocked": ("cox too many bad commands from", "too many invalid recipients"),
        "requireptr": ("dns check failure - try again later", "rejected - no rdns"),
        "policyviolation": ("esmtp no data before greeting", "attachment extension is forbidden"),
        "rejected": ("sender rejected",),
        "systemerror": ("esmtp server temporarily not available",),
        "toomanyconn": ("too many sessions from", "requested action aborted: try again later", "message threshold exceeded"),
        "userunknown": ("recipient rejected",),
    },
    "franceptt": {"authfailure": ("spf/dns de votre nom de domaine",)},
    "godaddy": {
        "blocked": ("rbl reject", "www.spamhaus.org/query/bl?ip="),
        "expired": ("has been in the queue too long", "delivery timeout"),
        "mailboxfull": ("account storage limit",),
        "spamdetected": ("message rejected for spam or virus content",),
        "suspend": ("account disabled",),
        "systemerror": ("message is looping",),
        "userunknown": ("recipient not found", "account does not exist"),
    },
    "google": {
        "authfailure": (
            "the spf record of the sending domain", "senders to authenticate with either spf or dkim",
            "fails to pass spf checks for an spf record with a hard fail", "has an spf record with a hard fail policy",
            "is not accepted due to domain's dmarc policy", "fails to pass authentication checks",
            "senders to authenticate with spf", "senders to authenticate their email with spf",
            "senders to authenticate their email with dkim", "senders to authenticate with dkim",
            "aligned with either the authenticated spf or dkim", "to add a dmarc record to ",
        ),
        "badreputation": ("very low reputation of the sending ip address", "very low reputation of the sending domain"),
        "blocked": (
            "ip not in whitelist for rcpt domain", "try again later, closing connection.",
            "empty helo/ehlo argument not allowed", "helo/ehlo argument is invalid",
            "an unusual rate of unsolicited mail", "an unusual rate of mail",
        ),
        "exceedlimit": ("exceeds google's limit of limit attachments.", "bytes per individual header size", "exceeds google's message header size limit"),
        "expired": ("connection expired", "timeout - closing connection"),
        "mailboxfull": ("inbox is out of storage space", "is over quota", "email quota exceeded"),
        "mesgtoobig": ("exceeded google's message size limits", "exceeds google's message size limit of"),
        "networkerror": ("message exceeded 50 hops",),
        "norelaying": ("mail relay denied",),
    },
    # au (KDDI) answers "550 : User unknown" (no address) from its content filter after
    # DATA, and "550 <addr>: User unknown" for a missing mailbox at RCPT.
    "kddi": {"filtered": ("550 : user unknown", "550: : user unknown"), "userunknown": (">: user unknown",)},
    "microsoft": {
        "userunknown": ("resolver.adr.recipientnotfound", "recipient not found by smtp address lookup", "resolver.adr.recipient notfound"),
        "mailboxfull": ("mailbox full", "mailbox has exceeded the limit"),
        "blocked": ("banned sending ip", "part of their network is on our block list", "access denied, banned sender"),
        "norelaying": ("relay access denied", "unable to relay recipient in non-accepted domain"),
        "securityerror": ("access denied, a bad certificate was presented", "client was not authenticated to send anonymous mail"),
    },
    "mimecast": {
        "authfailure": ("spf sender invalid - envelope rejected", "dkim sender invalid - envelope rejected", "dmarc sender invalid - envelope rejected"),
        "badreputation": ("internal resources are temporarily unavailable", "local ct ip reputation - (reject)"),
        "blocked": ("sender address blocked", "recipient temporarily unavailable", "ip temporarily blacklisted"),
        "expired": ("journal messages past the expiration",),
        "mesgtoobig": ("maximum email size exceeded",),
        "networkerror": ("the incorrect hostname used for inbounds", "mail loop detected"),
        "norelaying": ("open relay not allowed", "open relay is not allowed"),
        "notaccept": ("account inbounds disabled",),
        "onhold": ("account outbounds disabled", "hostname is not authorized", "journal message past expiration"),
        "policyviolation": (
            "anti-spoofing policy - inbound not allowed", "rejected by header-based anti-spoofing policy",
            "message bounced due to content examination policy", "host network not allowed", "host network, not allowed",
        ),
        "rejected": (
            "administrative prohibition envelope blocked", "envelope blocked - user entry", "envelope blocked - user domain entry",
            "rejected by header-based manually blocked senders", "rejected by header-based blocked senders",
            "envelope rejected - block policy for envelope from address",
        ),
        "securityerror": (
            "incorrect authentication data", "submitter failed to authenticate", "this route requires encryption (tls)",
            "this route requires tls version 1.2 or greater", "this route requires high-strength ciphers",
            "configuration is invalid for this certificate",
        ),
        "systemerror": ("unable to process connection at this time", "message ended early", "unable to process command", "unable to process an email at this time"),
        "toomanyconn": ("account service is temporarily unavailable", "exceeding outbound thread limit"),
        "userunknown": ("invalid recipient",),
    },
    "nttdocomo": {
        "mailboxfull": ("552 too much mail data",),
        "toomanyconn": ("552 too many recipients",),
        "syntaxerror": ("503 bad sequence of commands", "504 command parameter not implemented"),
    },
    "tencent": {
        "authfailure": ("spf check failed", "dmarc check failed"),
        "blocked": ("suspected bounce attacks", "suspected spam ip", "connection denied"),
        "mesgtoobig": ("message too large",),
        "rejected": ("suspected spam", "mail is rejected by recipients"),
        "spamdetected": ("spam is embedded in the email", "mail content denied"),
        "speeding": ("mailbox unavailable or access denined", "frequency of receiving messages is limited"),
        "suspend": ("is a deactivated mailbox",),
        "syntaxerror": ("bad address syntax",),
        "toomanyconn": ("ip frequency limited", "domain frequency limited", "sender frequency limited", "connection frequency limited"),
        "userunknown": ("mailbox not found",),
    },
    "yahooinc": {
        "authfailure": ("yahoo requires all senders to authenticate with either spf or dkim",),
        "blocked": (" because the ip is in spamhaus's list;", "not accepted from ip addresses on spamhaus xbl"),
        "norelaying": ("relaying denied for ",),
        "notcompliantrfc": ("headers are not rfc compliant",),
        "policyviolation": ("not accepted for policy reasons",),
        "rejected": ("temporarily deferred due to unexpected volume or user complaints", "due to unresolvable rfc.5321 domain", " will be permanently deferred"),
        "speeding": ("user is receiving mail too quickly",),
        "suspend": (" is no longer valid.", "this mailbox is disabled"),
        "syntaxerror": ("syntax error in parameters or arguments",),
        "toomanyconn": ("max message per connection reached",),
        "userunknown": ("dd this user doesn't have a ", "mailbox not found"),
    },
}  # fmt: skip
