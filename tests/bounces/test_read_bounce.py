"""Whole returned mails read: the recipients, codes and reasons of free-text bounces (qmail,
Exim, Gmail, DragonFly), DSNs whose text or transcript says more than their fields
(Sendmail), receiving services' own codes (La Poste, Yahoo, Cox), Amazon SES notifications
and Microsoft JMRP complaints; malformed input is ordinary mail, never a crash."""

# ruff: noqa: E501
# (MTAs' wordings are kept whole, as they are written.)
from __future__ import annotations

import json
from typing import Any

from gateway.bounces import read_bounce


def _mail(head: str, body: str) -> bytes:
    return (head.strip() + "\r\n\r\n" + body).replace("\r\n", "\n").replace("\n", "\r\n").encode()


def test_qmail_two_recipients_each_with_its_own_reason() -> None:
    raw = _mail(
        "From: MAILER-DAEMON@mx.example.ru\nTo: support@helpdesk.example\nSubject: failure notice",
        "Hi. This is the qmail-send program at mx.example.ru.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
        "<petr@example.ru>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
        "<olga@example.ru>:\n192.0.2.7 does not like recipient.\n"
        "Remote host said: 552 5.2.2 <olga@example.ru>... Mailbox full\nGiving up on 192.0.2.7.\n\n"
        "--- Below this line is a copy of the message.\n\nMessage-ID: <a1@helpdesk.example>\n",
    )
    report = read_bounce(raw)
    assert report is not None and report.kind == "text"
    got = {f.recipient: (f.reason, f.status) for f in report.failures}
    assert got == {
        "petr@example.ru": ("userunknown", "5.1.1"),
        "olga@example.ru": ("mailboxfull", "5.2.2"),
    }
    assert report.original_ids == ["a1@helpdesk.example"]


def test_exim_recipients_from_x_failed_recipients_and_retry_timeout() -> None:
    raw = _mail(
        "From: Mail Delivery System <Mailer-Daemon@mail.example.com>\nTo: support@helpdesk.example\n"
        "Subject: Mail delivery failed: returning message to sender\n"
        "X-Failed-Recipients: kijitora@example.co.jp",
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        "  kijitora@example.co.jp\n    retry timeout exceeded\n",
    )
    report = read_bounce(raw)
    assert report is not None
    assert [(f.recipient, f.reason) for f in report.failures] == [
        ("kijitora@example.co.jp", "expired")
    ]


def test_gmail_state_code_and_connection_failure() -> None:
    raw = _mail(
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nTo: support@helpdesk.example\n"
        "Subject: Delivery Status Notification (Failure)",
        "Delivery to the following recipient failed permanently:\n\n     anna@example.test\n\n"
        "Technical details of permanent failure:\nThe recipient server did not accept our requests "
        "to connect. Learn more at https://support.google.com/mail/answer/7720\n",
    )
    report = read_bounce(raw)
    assert report is not None and [f.reason for f in report.failures] == ["expired"]


def test_postmaster_can_be_the_failed_recipient() -> None:
    raw = _mail(
        "From: MAILER-DAEMON <>\nTo: support@helpdesk.example\nSubject: Mail delivery failed",
        "This is the DragonFly Mail Agent v0.13 at df.example.jp.\n\n"
        "There was an error delivering your mail to <postmaster@nx.example.org>.\n\n"
        "DNS lookup failure: host nx.example.org not found\n\nMessage headers follow.\n\n"
        "Message-Id: <x1@helpdesk.example>\nTo: <postmaster@nx.example.org>\n",
    )
    report = read_bounce(raw)
    assert report is not None
    assert [(f.recipient, f.reason) for f in report.failures] == [
        ("postmaster@nx.example.org", "hostunknown")
    ]


def _dsn(recipient: str, status: str, diagnostic: str, human: str = "", remote: str = "") -> bytes:
    remote_line = f"Remote-MTA: dns; {remote}\n" if remote else ""
    return _mail(
        "From: MAILER-DAEMON@mx.example.jp (Mail Delivery Subsystem)\nTo: support@helpdesk.example\n"
        "Subject: Returned mail: see transcript for details\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        f"--b\nContent-Type: text/plain\n\n{human}\n--b\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; mx.example.jp\n\nFinal-Recipient: RFC822; {recipient}\n"
        f"Action: failed\nStatus: {status}\n{remote_line}Diagnostic-Code: SMTP; {diagnostic}\n\n"
        "--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: <d1@helpdesk.example>\n\n--b--\n",
    )


def test_sendmail_reply_cut_to_its_first_line_is_read_from_the_transcript() -> None:
    first = "550-5.7.1 This message does not have authentication information or fails to pass"
    human = (
        "----- Transcript of session follows -----\n... while talking to gmail-smtp-in.l.google.com.:\n"
        ">>> DATA\n<<< "
        + first
        + "\n<<< 550-5.7.1 authentication checks. To best protect our users "
        "from spam, the\n<<< 550 5.7.1 message has been blocked.\n"
    )
    raw = _dsn("info@example.jp", "5.7.1", first, human, "gmail-smtp-in.l.google.com")
    report = read_bounce(raw)
    assert report is not None and report.kind == "dsn"
    assert [f.reason for f in report.failures] == ["authfailure"]
    assert "authentication checks" in report.failures[0].diagnostic


def test_service_codes_decide_la_poste_and_yahoo() -> None:
    laposte = _dsn(
        "x@laposte.net", "5.5.0", "550 5.5.0 Le compte du destinataire est bloque. LPN007_426"
    )
    yahoo = _dsn(
        "no-such@yahoo.example", "5.0.0",
        "554 delivery error: dd This user doesn't have a yahoo.example account [0] - mta1.mail.ne1.yahoo.com",
        remote="mta6.am0.yahoodns.net",
    )  # fmt: skip
    assert [f.reason for f in read_bounce(laposte).failures] == ["suspend"]  # type: ignore[union-attr]
    assert [f.reason for f in read_bounce(yahoo).failures] == ["userunknown"]  # type: ignore[union-attr]


def test_dsn_fields_written_as_text_are_read() -> None:
    raw = _mail(
        "From: MAILER-DAEMON@amazonses.com\nTo: support@helpdesk.example\nSubject: Delivery Status Notification (Failure)",
        "An error occurred while trying to deliver the mail to the following recipients:\n"
        "chatora@example.jp\n\nTechnical report:\n\nReporting-MTA: dsn; a27-1.smtp-out.amazonses.com\n\n"
        "Action: failed\nFinal-Recipient: rfc822; chatora@example.jp\nDiagnostic-Code: smtp; 550 5.2.2\n"
        " <chatora@example.jp>... Mailbox Full\nStatus: 5.2.2\n",
    )
    report = read_bounce(raw)
    assert report is not None
    assert [(f.recipient, f.status, f.reason) for f in report.failures] == [
        ("chatora@example.jp", "5.2.2", "mailboxfull")
    ]


def _ses(notification: dict[str, Any], wrapped: bool = True) -> bytes:
    body = (
        json.dumps({"Type": "Notification", "Message": json.dumps(notification)})
        if wrapped
        else json.dumps(notification)
    )
    return _mail(
        "From: no-reply@sns.amazonaws.com\nTo: support@helpdesk.example\nSubject: AWS Notification Message\n"
        "Content-Type: text/plain; charset=UTF-8",
        body
        + "\n\n--\nIf you wish to stop receiving notifications from this topic, please click the link below.\n",
    )


def test_amazon_ses_bounce_complaint_and_delivery() -> None:
    mail = {"messageId": "0101-abc", "destination": ["a@example.com"]}
    bounce = {
        "notificationType": "Bounce", "mail": mail,
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [
            {"emailAddress": "A@example.com", "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]},
    }  # fmt: skip
    report = read_bounce(_ses(bounce))
    assert report is not None and report.original_ids == ["0101-abc"]
    assert [(f.recipient, f.status, f.reason, f.hard) for f in report.failures] == [
        ("a@example.com", "5.1.1", "userunknown", True)
    ]
    complaint = {
        "notificationType": "Complaint",
        "mail": mail,
        "complaint": {"complainedRecipients": [{"emailAddress": "a@example.com"}]},
    }
    assert [f.reason for f in read_bounce(_ses(complaint, wrapped=False)).failures] == ["feedback"]  # type: ignore[union-attr]
    delivery = {
        "notificationType": "Delivery",
        "mail": mail,
        "delivery": {"recipients": ["a@example.com"], "smtpResponse": "250 2.6.0 ok"},
    }
    assert [f.reason for f in read_bounce(_ses(delivery)).failures] == ["delivered"]  # type: ignore[union-attr]


def test_broken_or_foreign_json_is_ordinary_mail() -> None:
    raw = _mail(
        "From: no-reply@sns.amazonaws.com\nTo: support@helpdesk.example\nSubject: AWS Notification Message",
        '{"notificationType": "Bounce", "bounce": [unterminated\n',
    )
    assert read_bounce(raw) is None
    other = _mail(
        "From: robot@example.com\nTo: support@helpdesk.example\nSubject: hi",
        '{"notificationType": "Other"}',
    )
    assert read_bounce(other) is None


def test_microsoft_jmrp_complaint_is_feedback() -> None:
    raw = _mail(
        "From: staff@hotmail.com\nTo: abuse@helpdesk.example\nSubject: complaint about message from 192.0.2.222\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="j"',
        "--j\nContent-Type: text/plain\n\nThis is an email abuse report.\n--j\nContent-Type: message/rfc822\n\n"
        "From: support@helpdesk.example\nTo: user@hotmail.example\nMessage-ID: <c1@helpdesk.example>\n\nhi\n--j--\n",
    )
    report = read_bounce(raw)
    assert report is not None and report.kind == "arf"
    assert [(f.recipient, f.reason) for f in report.failures] == [
        ("user@hotmail.example", "feedback")
    ]
