"""Bounces in the formats of particular MTAs and carriers (au EZweb and KDDI, Verizon,
InterScan MSS, fml, Zoho Mail, Apache James, Sendmail 5), the receiving services' rules
(au, NTT docomo, Mimecast, Exchange Online), and when a report that names no command is
read as refused at RCPT. Our own fixtures, in the formats as those programs write them."""

# ruff: noqa: E501
# (MTAs' wordings are kept whole, as they are written.)
from __future__ import annotations

from gateway.bounces import classify, read_bounce
from gateway.bounces.model import Report


def _mail(head: str, body: str) -> bytes:
    return (head.strip() + "\r\n\r\n" + body).replace("\r\n", "\n").replace("\n", "\r\n").encode()


def _got(raw: bytes) -> dict[str, str]:
    report = read_bounce(raw)
    assert isinstance(report, Report), "not read as a bounce"
    return {f.recipient: f.reason for f in report.failures}


def test_ezweb_disabled_account_is_suspend_and_transcript_rcpt_is_userunknown() -> None:
    head = (
        "From: Postmaster@ezweb.ne.jp\nTo: support@helpdesk.example\n"
        "Subject: Mail System Error - Returned Mail\nMessage-ID: <x1@mx.ezweb.ne.jp>"
    )
    disabled = _mail(
        head,
        "The user(s) account is disabled.\n\n<hanako@ezweb.ne.jp>: 550 user unknown (in reply to RCPT TO command)\n"
        "--------------------------------------------------\nSubject: 会議\n",
    )
    assert _got(disabled) == {"hanako@ezweb.ne.jp": "suspend"}
    transcript = _mail(
        head,
        "Each of the following recipients was rejected by a remote mail server.\n\n"
        "    Recipient: <taro@ezweb.ne.jp>\n    >>> RCPT TO:<taro@ezweb.ne.jp>\n    <<< 550 <taro@ezweb.ne.jp>: User unknown\n",
    )
    assert _got(transcript) == {"taro@ezweb.ne.jp": "userunknown"}


def test_kddi_mailbox_full_and_spam_filter_header() -> None:
    body = (
        "Your mail sent on: Thu, 29 Apr 2026 11:04:47 +0900\n"
        "    Could not be delivered to: <jiro@dion.example.jp>\n    As their mailbox is full.\n"
    )
    head = "From: no-reply@mx3.dion.ne.jp\nTo: support@helpdesk.example\nSubject: Returned mail"
    assert _got(_mail(head, body)) == {"jiro@dion.example.jp": "mailboxfull"}
    assert _got(_mail(head + "\nX-SPASIGN: NG", body)) == {"jiro@dion.example.jp": "filtered"}


def test_verizon_vtext_no_such_user() -> None:
    raw = _mail(
        "From: post_master@vtext.com\nTo: support@helpdesk.example\nSubject: Undeliverable Message\n"
        "Received: from mta.vtext.com (mta.vtext.com [192.0.2.4]) by mx.helpdesk.example",
        "Error: Invalid user address\n\nError message below:\n550 - Requested action not taken: no such user here\n\n"
        "Message details:\n  Subject: Test\n  MAIL FROM: support@helpdesk.example\n  RCPT TO: 5551234567@vtext.com\n",
    )
    assert _got(raw) == {"5551234567@vtext.com": "userunknown"}


def test_interscan_unable_to_deliver_and_japanese_transcript() -> None:
    english = _mail(
        'From: "InterScan MSS" <postmaster@gw.example.co.jp>\nTo: support@helpdesk.example\n'
        "Subject: Mail could not be delivered",
        "Unable to deliver message to <suzuki@example.co.jp> (and other recipients in the same domain).\n",
    )
    assert _got(english) == {"suzuki@example.co.jp": "userunknown"}
    japanese = _mail(
        "From: postmaster@gw.example.jp\nTo: support@helpdesk.example\nSubject: メール配信に失敗しました",
        "送信者 <<< RCPT TO:<sato@example.jp>\n受信者 >>> 550 5.2.2 <sato@example.jp>... Mailbox full\n",
    )
    assert _got(japanese) == {"sato@example.jp": "mailboxfull"}


def test_fml_not_member_is_rejected() -> None:
    raw = _mail(
        "From: staff-admin@lists.example.org\nTo: support@helpdesk.example\nSubject: NOT MEMBER article from support@helpdesk.example\n"
        "X-MLServer: fml [fml 4.0.3 release (20040609)]\nMessage-ID: <200604291034.FMLAAB12345.staff@lists.example.org>",
        "You are not a member of this mailing list <staff@lists.example.org>.\n\nOriginal mail as follows:\n\nSubject: hi\n",
    )
    assert _got(raw) == {"staff@lists.example.org": "rejected"}


def test_zoho_host_not_reachable_is_expired() -> None:
    raw = _mail(
        "From: mailer-daemon@zoho.example.com\nTo: support@helpdesk.example\nSubject: Undelivered Mail Returned to Sender\n"
        "X-ZohoMail: Si CHF_MF_NL SS_10",
        "This message was created automatically by mail delivery software.\n"
        "A message that you sent could not be delivered to one or more of its recipients.\n\n"
        "[Status: Error, Address: <ana@oficina.example.es>, ResponseCode 421, , Host not reachable.]\n",
    )
    assert _got(raw) == {"ana@oficina.example.es": "expired"}


def test_apache_james_without_a_command_is_filtered_not_guessed() -> None:
    raw = _mail(
        "From: postmaster@james.example.net\nTo: support@helpdesk.example\nSubject: [BOUNCE]",
        "Error message below:\n550 - Requested action not taken: no such user here\n\n"
        "Message details:\n  Subject: Test\n  MAIL FROM: support@helpdesk.example\n  RCPT TO: lena@post.example.de\n",
    )
    # The format was read whole and names no command: sisimai's rule, not a guess of RCPT.
    assert _got(raw) == {"lena@post.example.de": "filtered"}


def test_sendmail5_transcript_per_recipient() -> None:
    raw = _mail(
        "From: MAILER-DAEMON@old.example.edu\nTo: support@helpdesk.example\nSubject: Returned mail: User unknown",
        "   ----- Transcript of session follows -----\n"
        "550 old.example.org (smtp)... 550 Host unknown\n"
        "While talking to mx.example.org:\n"
        "554 <ivan@gone.example.org>... 550 Host unknown (Authoritative answer from name server)\n"
        "While talking to mail.example.com.br:\n"
        ">>> RCPT To:<joao@example.com.br>\n<<< 550 Requested User Mailbox not found. No such user here.\n"
        "550 <joao@example.com.br>... User unknown\n\n"
        "   ----- Unsent message follows -----\nSubject: Ola\n",
    )
    assert _got(raw) == {
        "ivan@gone.example.org": "hostunknown",
        "joao@example.com.br": "userunknown",
    }


def test_au_says_filtered_without_an_address_and_userunknown_with_one() -> None:
    def dsn(diagnostic: str) -> bytes:
        return _mail(
            "From: MAILER-DAEMON@googlemail.com\nTo: support@helpdesk.example\nSubject: Delivery Status Notification (Failure)\n"
            'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"',
            "--b\nContent-Type: text/plain\n\nDelivery failed.\n--b\nContent-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; googlemail.com\n\nFinal-Recipient: rfc822; yuki@ezweb.ne.jp\nAction: failed\nStatus: 5.0.0\n"
            f"Remote-MTA: dns; lsean.ezweb.ne.jp.\nDiagnostic-Code: smtp; {diagnostic}\n--b--\n",
        )

    assert _got(dsn("550 : User unknown")) == {"yuki@ezweb.ne.jp": "filtered"}
    assert _got(dsn("550 <yuki@ezweb.ne.jp>: User unknown")) == {"yuki@ezweb.ne.jp": "userunknown"}


def test_exchange_recipient_not_found_and_mimecast_policy() -> None:
    said = "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
    assert classify("5.1.10", said) == "userunknown"
    raw = _mail(
        "From: MAILER-DAEMON@relay.example.net\nTo: support@helpdesk.example\nSubject: Undelivered Mail Returned to Sender\n"
        'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"',
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.net\n\n"
        "Final-Recipient: rfc822; pat@client.example.co.uk\nAction: failed\nStatus: 5.0.0\n"
        "Remote-MTA: dns; eu-smtp-inbound-1.mimecast.com\n"
        "Diagnostic-Code: smtp; 554 Host network not allowed - https://community.mimecast.com/docs/doc-1369#554\n--b--\n",
    )
    assert _got(raw) == {"pat@client.example.co.uk": "policyviolation"}


def test_unnamed_command_is_rcpt_only_when_the_code_names_no_cause() -> None:
    # No command, no specific code: the recipient-by-recipient refusal it mostly is.
    assert classify("5.0.0", "550 <ivan@example.ru>... No such user") == "userunknown"
    assert classify("", "550 unknown user olga@example.ru") == "userunknown"
    # 5.2.1 (mailbox disabled) and 5.7.1 (policy) say a filter refused, whatever the words.
    assert classify("5.2.1", "550 5.2.1 <a@example.jp>... User Unknown") == "filtered"
    assert classify("5.7.1", "550 5.7.1 550 User unknown: b@example.org") == "filtered"
    # Named at RCPT, the words decide.
    assert classify("5.2.1", "550 5.2.1 <a@example.jp>... User Unknown", "RCPT") == "userunknown"


def test_ordinary_mail_from_a_carrier_user_is_no_bounce() -> None:
    # An au user's own mail passes the carrier's hosts as its bounces do, and may say
    # "Your message" and name an address alone on a line: it is still a person's mail.
    raw = _mail(
        "From: Hanako <hanako@au.com>\nTo: support@helpdesk.example\nSubject: メールが届きません\n"
        "Message-ID: <abc123@mx1.au.com>\n"
        "Received: from mx1.au.com (mx1.au.com [192.0.2.3]) by mx.helpdesk.example",
        "Your message to my colleague never arrived:\n<kenji@example.co.jp>\nPlease check.\n",
    )
    assert read_bounce(raw) is None


def test_delivery_report_naming_no_recipient_is_still_a_bounce() -> None:
    raw = _mail(
        "From: MAILER-DAEMON@mx.example.fr (Mail Delivery System)\nTo: support@helpdesk.example\n"
        "Subject: Undelivered Mail Returned to Sender\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        "--b\nContent-Type: text/plain\n\n\t--- Delivery report unavailable ---\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.fr\n"
        "--b\nContent-Type: message/rfc822\n\nTo: Élodie <elodie@exemple.fr>\nMessage-ID: <m1@helpdesk.example>\nSubject: x\n\nx\n--b--\n",
    )
    report = read_bounce(raw)
    assert report is not None and report.kind == "dsn"
    assert [(f.recipient, f.reason) for f in report.failures] == [
        ("elodie@exemple.fr", "undefined")
    ]
    assert report.original_ids == ["m1@helpdesk.example"]


def test_postfix_sentence_with_its_command_completes_the_diagnostic_code() -> None:
    raw = _mail(
        "From: MAILER-DAEMON@mail.example.de (Mail Delivery System)\nTo: support@helpdesk.example\n"
        'Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"',
        "--b\nContent-Type: text/plain\n\n<jens@firma.example.de>: host mx.firma.example.de[192.0.2.8] said: 550\n"
        "    <jens@firma.example.de>: Recipient address rejected. (in reply to RCPT TO\n    command)\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mail.example.de\n\n"
        "Final-Recipient: rfc822; jens@firma.example.de\nAction: failed\nStatus: 5.0.0\n"
        "Diagnostic-Code: smtp; 550 <jens@firma.example.de>: Recipient address rejected.\n--b--\n",
    )
    assert _got(raw) == {"jens@firma.example.de": "userunknown"}
