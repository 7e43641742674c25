"""Header facts beyond the named ones: which headers exist, the relays, the exact sender.

Mail tools and mailing-list software each leave their own set of header fields; the
Received chain names the hosts a message crossed, and the owner's domain of a relay is
stable where its address and timestamps are not. The sender's full address lets the
model learn a correspondent (a newsletter an agent keeps answering) and not only a
domain.
"""

from __future__ import annotations

import email.message
import re

# Added by upstream filters (and by whoever labelled a training corpus): learning them
# would learn that filter, not the mail.
FILTER_HEADERS = re.compile(r"^x-(spam|virus)[-_]", re.I)
_TWO_LEVEL_SUFFIXES = frozenset(["co", "com", "net", "org", "gov", "edu", "ac", "ne", "or"])

_HOST = re.compile(r"\b([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b")
_IP = re.compile(r"\b(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}\b")
_RECEIVED = 6  # the newest hops: older ones are the sender's own and easily forged
_HOSTS_PER_HOP = 4


def registrable(host: str) -> str:
    """example.co.uk and www.example.com -> the owner's domain, without a suffix list."""
    labels = host.strip(".").split(".")
    if len(labels) > 2 and labels[-2] in _TWO_LEVEL_SUFFIXES and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def header_tokens(msg: email.message.Message, sender: str) -> list[str]:
    """``hn:`` names of the header fields present, ``rcv:`` relays, ``fromaddr:``."""
    tokens = [
        "hn:" + name[:30]
        for name in dict.fromkeys(k.lower() for k in msg)
        if not FILTER_HEADERS.match(name)
    ]
    for value in (msg.get_all("Received") or [])[:_RECEIVED]:
        # The part before ";" names the hosts; after it comes only the date.
        hop = str(value).lower().split(";", 1)[0]
        tokens.extend("rcv:" + registrable(h) for h in _HOST.findall(hop)[:_HOSTS_PER_HOP])
        tokens.extend(f"rcvip:{a}.{b}" for a, b in _IP.findall(hop)[:2])
        if "with esmtp" in hop:
            tokens.append("rcv:esmtp")
    if sender:
        tokens.append("fromaddr:" + sender.lower()[:100])
    return tokens
