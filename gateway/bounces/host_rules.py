"""What particular MTAs mean by their own sentences: qmail, Exim, Gmail and Google
Workspace, Lotus Domino and Notes, OpenSMTPD, DragonFly, IMail, Courier, Exchange,
Symantec.cloud (MessageLabs).

Each sentence is the MTA's source text or its documented wording, as sisimai (BSD-2-Clause)
collected them per MTA; they are specific enough to be read in any bounce. A match gives
the reason before the generic patterns do, as the MTA's own parser would.
"""

# ruff: noqa: E501
# (The sentences are MTAs' texts, kept whole so that each can be searched for as written.)
from __future__ import annotations

# In order: the first reason with a matching sentence (lower case) wins.
MESSAGES: tuple[tuple[str, tuple[str | tuple[str, ...], ...]], ...] = (
    ("userunknown", (
        "sorry, no mailbox here by that name",  # qmail-local.c
        "not listed in domino directory", "not listed in public name & address book",  # Domino
        "ディレクトリのリストにありません", "domino ディレクトリには見つかりません",  # Notes (ja)
        "because the address couldn't be found. check for typos or unnecessary spaces and try again.",  # Google Workspace
        "the email address wasn't found at the destination domain",  # Exchange Online NDR
        "the email address wasn\u2019t found at the destination domain",
        "resolver.adr.recipientnotfound", "resolver.adr.recipient notfound",  # Exchange's own label
        ("542 ", " rejected"),  # Symantec.cloud (MessageLabs): its nonstandard 542 for a recipient
    )),
    ("hostunknown", (
        "sorry, i couldn't find any host ",  # qmail-remote.c
        "all host address lookups failed permanently", "all relevant mx records point to non-existent hosts",  # Exim
        "dns error: domain name not found", "dns error: dns server returned answer with no data",  # Gmail
        ("dns lookup failure: host ", " not found"),  # DragonFly
    )),
    ("notaccept", (
        "sorry, i couldn't find a mail exchanger or ip address",  # notqmail, Null MX
        "an mx or srv record indicated no smtp service", "no host found for existing smtp connection",  # Exim
        ("dns type 'mx' lookup of ", "returned null mx"),  # Google Workspace, Null MX
    )),
    ("networkerror", (
        "sorry, i wasn't able to establish an smtp connection",  # qmail-remote.c
        "sorry. although i'm listed as a best-preference mx or a for that host",
        "network error on destination mxs",  # OpenSMTPD
        ("dns type 'mx' lookup of ", " responded with code nxdomain"),  # Google Workspace
        ("dns type 'mx' lookup of ", " had no relevant answers"),
    )),
    ("mailboxfull", ("disk quota exceeded", "mailbox is full", "error: quota exceed")),
    ("mesgtoobig", ("message size exceeds fixed maximum message size:",)),
    ("exceedlimit", ("the message exeeded the maximum size the user accepts",)),  # qmail-ldap
    ("suspend", (
        "mailaddress is administrativly disabled", "mailaddress is administrativley disabled",
        "mailaddress is administratively disabled", "mailaddress is administrativeley disabled",
    )),
    ("systemfull", ("requested action not taken: mailbox unavailable (not enough free space)",)),
    ("syntaxerror", (
        "angle-brackets nested too deep", 'expected word or "<"', "domain missing in source-routed address",
        "malformed address:",  # Exim parser.c
    )),
    ("contenterror", ('too many "received" headers',)),  # Exim deliver.c
    ("systemerror", (
        "automatic homedir creator crashed", "illegal value in ldap attribute",
        "ldap attribute is not given but mandatory", "timeout while performing search on ldap server",
        "too many results returned but needs to be unique", "permanent error while executing qmail-forward",
        "temporary error in automatic homedir creation", "temporary error while executing qmail-forward",
        "temporary failure in ldap lookup", "unable to contact ldap server",
        "unable to login into ldap server, bad credentials",  # qmail-ldap
        "bad interpreter: no such file or directory",
        "delivery to file forbidden", "delivery to pipe forbidden", "local delivery failed",  # Exim
    )),
    ("expired", (
        "the recipient server did not accept our requests to connect",  # Gmail
        "dns error: could not contact dns servers", "delivery to the following recipient has been delayed",
        "retry timeout exceeded", "no action is required on your part",  # Exim retry.c, deliver.c
        "retry time not reached for any host after a long failure period",
        "all hosts have been failing for a long time and were last tried",
        "delay reason: ", "has been frozen", "was frozen on arrival by ",
        "envelope expired",  # OpenSMTPD
        ("could not deliver for the last ", " seconds"),  # DragonFly
        ("delivery failed ", " attempts"),  # IMail
        "message expired, connection refused",  # Exchange Online 5.4.316
        "this message has been in the queue too long.",  # qmail-send.c: only when nothing else says
    )),
)  # fmt: skip

# The SMTP command qmail's and Exim's sentences name (qmail-remote.c).
COMMANDS: tuple[tuple[str, str], ...] = (
    (" but greeting failed.", "CONN"),
    (" but my name was rejected.", "EHLO"),
    (" but sender was rejected.", "MAIL"),
    (" does not like recipient.", "RCPT"),
    (" failed on data command", "DATA"),
    (" failed after i sent the message", "DATA"),
)
# qmail's remote refusal of a recipient followed by its give-up notice: the remote's own
# words decide, not the give-up (sisimai's "onhold" pair).
REMOTE_THEN_GIVE_UP = (" does not like recipient.", "this message has been in the queue too long.")

# Gmail's "(state N)" suffix: the SMTP stage and what it means.
GMAIL_STATES: dict[str, tuple[str, str]] = {
    "8": ("AUTH", "systemerror"), "12": ("AUTH", "norelaying"), "13": ("EHLO", "blocked"),
    "14": ("RCPT", "userunknown"), "15": ("DATA", "filtered"), "17": ("DATA", "filtered"),
    "18": ("DATA", "filtered"),
}  # fmt: skip
