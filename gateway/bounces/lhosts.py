"""Bounces of MTAs and carriers with a format of their own: au (KDDI, EZweb), Verizon,
Trend Micro InterScan MSS, the fml mailing-list manager, Zoho Mail, Apache James and
Sendmail 5.

Each is told by its own headers (sender, subject, Received, X-Mlserver, X-ZohoMail) and
read line by line as its software writes: the failed recipients, the refused command, the
diagnostic, and the reason its own sentences give ("As their mailbox is full"). The
formats are as sisimai (BSD-2-Clause) documents them per MTA. A reason found here is the
MTA's own verdict; the generic rules still come first where sisimai's do.
"""

from __future__ import annotations

from email.message import Message

from gateway.bounces.lhost_carriers import ezweb, kddi, verizon
from gateway.bounces.lhost_common import Entry, Headers
from gateway.bounces.lhost_servers import fml, interscan, james, v5sendmail, zoho

__all__ = ["Entry", "read_lhost"]


def read_lhost(msg: Message, text: str) -> list[Entry] | None:
    """The failures an MTA with a format of its own reports in `msg` (whose readable
    explanation is `text`), or None when it is none of them."""
    head = _headers(msg)
    received = [str(v) for v in msg.get_all("received") or []]
    readers = (ezweb, kddi, verizon, interscan, fml, zoho, james, v5sendmail)
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
