"""Reasons in sisimai's vocabulary from the status code, the reply and the diagnostic text:
one or more wordings per reason, in the words Postfix, Exim, Sendmail, qmail, Exchange /
Microsoft 365, Gmail, Yahoo, Amazon SES and others use, and the precedence between them."""

# ruff: noqa: E501
# (MTAs' wordings are kept whole, as they are written.)
from __future__ import annotations

import pytest

from gateway.bounces import classify
from gateway.bounces.reasons import make_fact

# (status field, diagnostic, command, expected reason)
CASES: list[tuple[str, str, str, str]] = [
    # userunknown: 5.1.1 from Postfix, Exchange Online, Gmail; a refusal at RCPT by text
    ("5.1.1", "550 5.1.1 <ivan@mail.example.ru>: Recipient address rejected: User unknown in virtual mailbox table", "RCPT", "userunknown"),
    ("5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", "", "userunknown"),
    ("5.1.1", "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos", "RCPT", "userunknown"),
    ("", "550 sorry, no mailbox here by that name. (#5.1.1)", "RCPT", "userunknown"),
    # filtered: the same words after DATA, or with a mailbox-status code
    ("5.0.0", "550 5.0.0 <kolya@example.com>... User unknown", "DATA", "filtered"),
    ("5.2.0", "550 Unknown user kolya@example.net", "DATA", "filtered"),
    # mailboxfull: Exim, Postfix/Dovecot, Yahoo, a 5.1.1 that says "full"
    ("5.2.2", "552 5.2.2 Mailbox full", "RCPT", "mailboxfull"),
    ("4.2.2", "452 4.2.2 <olga@example.org>: Recipient address rejected: Quota exceeded (mailbox for user is full)", "RCPT", "mailboxfull"),
    ("5.0.0", "552 1 Requested mail action aborted, mailbox is over quota", "", "mailboxfull"),
    ("5.1.1", "550 5.1.1 <anna@example.test>... Mailbox full", "RCPT", "mailboxfull"),
    # hostunknown / notaccept / networkerror
    ("5.1.2", "Host or domain name not found. Name service error for name=nonexistent.example type=A: Host not found", "", "hostunknown"),
    ("5.0.0", "550 Host unknown", "", "hostunknown"),
    ("5.1.10", "556 5.1.10 Recipient address has null MX", "", "notaccept"),
    ("4.4.1", "connect to mx.example.jp[192.0.2.2]:25: No route to host", "", "networkerror"),
    # expired: Postfix, Exim, Sendmail
    ("4.4.7", "delivery temporarily suspended: connect to mx.example.com[192.0.2.1]:25: Connection timed out", "", "expired"),
    ("5.4.7", "Delivery time expired", "", "expired"),
    # blocked: Spamhaus listing, EarthLink, HELO refusal
    ("5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.25] blocked using zen.spamhaus.org", "RCPT", "blocked"),
    ("", "550 Access from ip address 192.0.2.1 blocked", "CONN", "blocked"),
    ("4.7.1", "421 4.7.1 Please try again later", "CONN", "blocked"),
    # spamdetected / virusdetected / policyviolation
    ("5.7.1", "550 5.7.1 Message rejected as spam by Content Filtering", "DATA", "spamdetected"),
    ("5.7.0", "554 5.7.0 Reject, id=12345 - spam", "DATA", "spamdetected"),
    ("5.7.1", "550 5.7.1 Virus detected: Eicar-Test-Signature", "DATA", "virusdetected"),
    ("5.7.1", "554 5.7.1 Message not accepted for policy reasons", "DATA", "policyviolation"),
    # authfailure / requireptr / badreputation / notcompliantrfc
    ("5.7.26", "550 5.7.26 This mail is unauthenticated, which poses a security risk to the sender and Gmail users", "DATA", "authfailure"),
    ("5.7.1", "550 5.7.1 Sender Policy Framework (SPF) fail for example.com", "MAIL", "authfailure"),
    ("5.7.25", "550 5.7.25 [192.0.2.1] The IP address sending this message does not have a PTR record setup", "", "requireptr"),
    ("4.7.0", "421 4.7.0 [TSS04] Messages from 192.0.2.1 deferred: IP/domain reputation problems", "", "badreputation"),
    ("5.7.1", "550 5.7.1 This message is not RFC 5322 compliant. There are multiple From headers", "DATA", "notcompliantrfc"),
    # rejected: the sender refused at MAIL; norelaying
    ("5.1.8", "553 5.1.8 <noreply@sender.example>... Domain of sender address noreply@sender.example does not exist", "MAIL", "rejected"),
    ("5.7.1", "550 5.7.1 Sender verify failed", "MAIL", "rejected"),
    ("5.7.1", "554 5.7.1 <user@example.org>: Relay access denied", "RCPT", "norelaying"),
    # suspend / hasmoved / mesgtoobig / exceedlimit
    ("5.2.1", "550 5.2.1 The email account that you tried to reach is disabled", "RCPT", "suspend"),
    ("", "525 5.7.13 User Account Disabled", "RCPT", "suspend"),
    ("5.1.6", "550 5.1.6 recipient no longer on server", "RCPT", "hasmoved"),
    ("5.3.4", "552 5.3.4 Error: message file too big", "DATA", "mesgtoobig"),
    ("5.2.3", "552 5.2.3 Message length exceeds administrative limit", "DATA", "exceedlimit"),
    # toomanyconn / speeding / systemerror / systemfull / contenterror / syntaxerror
    ("4.7.0", "421 4.7.0 Too many concurrent SMTP connections from this IP address; please try again later", "CONN", "toomanyconn"),
    ("4.7.1", "451 4.7.1 <mx.example.org[192.0.2.2]>: Client host rejected: Please try again slower", "RCPT", "speeding"),
    ("4.3.0", "451 4.3.0 Local configuration error", "", "systemerror"),
    ("4.3.1", "452 4.3.1 Insufficient system storage", "", "systemfull"),
    ("5.6.0", "554 5.6.0 Message contains invalid header", "DATA", "contenterror"),
    ("", "501 Syntax error in parameters or arguments", "MAIL", "syntaxerror"),
    # mailererror: a local delivery program's failure (Postfix X-UNIX)
    ("5.3.0", "Command died with status 1: \"/usr/bin/procmail\"", "", "mailererror"),
]  # fmt: skip


@pytest.mark.parametrize(("status", "diagnostic", "command", "expected"), CASES)
def test_reason_per_wording(status: str, diagnostic: str, command: str, expected: str) -> None:
    dtype = "X-UNIX" if expected == "mailererror" else ""
    assert classify(status, diagnostic, command, "failed", dtype) == expected


def test_text_says_nothing_known_is_onhold_and_no_text_is_undefined() -> None:
    assert classify("", "554 5.0.0 Service unavailable, see you later", "") == "onhold"
    assert classify("", "", "") == "undefined"


def test_delayed_without_a_reason_is_expired_and_two_x_is_delivered() -> None:
    assert classify("4.0.0", "", "", "delayed") == "expired"
    assert classify("2.0.0", "250 2.0.0 Ok: queued as 4QX", "") == "delivered"


def test_code_in_the_diagnostic_is_preferred_to_a_generic_status_field() -> None:
    fact = make_fact("5.0.0", "550 5.1.1 <user@example.com>... User Unknown")
    assert (fact.status, fact.reply) == ("5.1.1", "550")
    assert (
        classify("5.0.0", "550 5.1.1 <user@example.com>... User Unknown", "RCPT") == "userunknown"
    )


def test_a_multi_line_reply_is_read_as_one_sentence() -> None:
    text = (
        "550-5.2.1 The user you are trying to contact is receiving mail at a rate that "
        "550-5.2.1 prevents additional messages from being delivered. For more "
        "550 5.2.1 information, please visit https://support.google.com/mail/?p=ReceivingRate"
    )
    assert classify("5.2.1", text, "DATA") == "speeding"


def test_the_mta_own_sentence_gives_the_command_and_reason() -> None:
    qmail = (
        "Connected to 192.0.2.112 but my name was rejected. Remote host said: 501 5.0.0 "
        "Invalid domain name. I'm not going to try again; this message has been in the queue too long."
    )
    assert classify("", qmail) == "blocked"
    exim = "SMTP error from remote mail server after MAIL FROM:<a@b.example>: 450 service permits 2 unverifyable sending IPs"
    assert classify("", "Delay reason: " + exim, "MAIL") == "requireptr"
    gmail = "The error that the other server returned was: 550 550 Unknown user kolya@example.jp (state 18)."
    assert classify("", gmail) == "filtered"


def test_russian_and_idn_diagnostics_do_not_confuse_the_codes() -> None:
    text = "550 5.1.1 <иван@пример.рф>: Recipient address rejected: пользователь не найден (user unknown)"
    assert classify("", text, "RCPT") == "userunknown"
    # a version number and an IPv4 address are not status codes
    assert (
        make_fact("", "Exim V4.96 at 192.0.2.55 said: 550 administrative prohibition").status == ""
    )
