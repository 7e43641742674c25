"""Amazon SES notifications (bounce, complaint, delivery) delivered as mail, usually by SNS.

SES reports in JSON: the SNS envelope's "Message" holds the notification, or the body is
the notification itself. A bounce lists its recipients with their status and diagnostic;
a complaint is feedback; a delivery is delivered. The Message-ID SES gave the original is
returned so that the outbox row can be found.
"""

from __future__ import annotations

import json
from typing import Any

from gateway.bounces.model import Failure, Report

_KINDS = {"Bounce": "bounce", "Complaint": "complaint", "Delivery": "delivery"}


def read_ses(body: str) -> dict[str, Any] | None:
    """The SES notification in a mail body, or None when the body is not one."""
    text = body.strip()
    if not text.startswith("{") or "notificationType" not in text:
        return None
    try:
        # Wrapped mid-string by some relays; followed by SNS's unsubscribe footer.
        data, _ = json.JSONDecoder(strict=False).raw_decode(text)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("Message"), str):
        try:
            data = json.loads(data["Message"], strict=False)
        except ValueError:
            return None
    if not isinstance(data, dict) or data.get("notificationType") not in _KINDS:
        return None
    return data


def ses_report(data: dict[str, Any], classify: Any) -> Report:
    """The report of notification `data`; `classify(status, diagnostic, action)` gives a
    bounced recipient's reason."""
    kind = str(data["notificationType"])
    mail: dict[str, Any] = data["mail"] if isinstance(data.get("mail"), dict) else {}
    ids = [str(mail["messageId"])] if mail.get("messageId") else []
    report = Report("dsn" if kind != "Complaint" else "arf", original_ids=ids)
    if kind == "Complaint":
        complaint = data.get("complaint") or {}
        for r in complaint.get("complainedRecipients") or [{}]:
            report.failures.append(
                Failure(str(r.get("emailAddress", "")).lower(), "", "feedback", False)
            )
        return report
    if kind == "Delivery":
        delivery = data.get("delivery") or {}
        for rcpt in delivery.get("recipients") or []:
            code = str(delivery.get("smtpResponse", ""))
            report.failures.append(Failure(str(rcpt).lower(), "2.0.0", "delivered", False, code))
        return report
    bounce = data.get("bounce") or {}
    for r in bounce.get("bouncedRecipients") or []:
        status = str(r.get("status", ""))
        diagnostic = str(r.get("diagnosticCode", "")).partition(";")[2].strip() or str(
            r.get("diagnosticCode", "")
        )
        reason, status, hard = classify(status, diagnostic, str(r.get("action", "failed")))
        report.failures.append(
            Failure(str(r.get("emailAddress", "")).lower(), status, reason, hard, diagnostic)
        )
    return report
