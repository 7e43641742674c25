"""Header and body facts that mean the same in any corpus, year or language.

The word and relay features of a bootstrap corpus describe where and when it was
collected; these describe how a message was made: a Date far from when a relay got it,
a Message-ID no mail client writes, encoded words where plain ASCII would do, a sender
whose Reply-To points elsewhere, scripts mixed inside one word (Cyrillic letters in a
Latin word, the classic homoglyph trick), HTML whose links say one domain and go to
another. Each is a token of the meta block, named ``sig:...``.
"""

from __future__ import annotations

import email.header
import email.message
import email.utils
import re
from datetime import UTC, datetime

from classifier.parsed import parseaddr

_ENCODED_WORD = re.compile(r"=\?([^?]+)\?([bq])\?[^?]*\?=", re.I)
_MSGID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+>$")
_CYR = re.compile(r"[а-яё]", re.I)
_LAT = re.compile(r"[a-z]", re.I)
_MIXED = re.compile(r"[а-яё][a-z]|[a-z][а-яё]", re.I)
_NAMED_ADDRESS = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MIXED_CHARS = 20_000  # of the text looked at: bounded cost on long mail
_SKEW_HOURS = (1, 24, 24 * 7)


def _received_time(msg: email.message.Message) -> datetime | None:
    """When the newest relay got the message (the date after ";" of the top Received)."""
    received = msg.get_all("Received") or []
    if not received:
        return None
    _, _, stamp = str(received[0]).rpartition(";")
    try:
        when = email.utils.parsedate_to_datetime(stamp.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def date_tokens(msg: email.message.Message) -> list[str]:
    """How far the sender's Date is from the top relay's clock (forged or stale dates)."""
    value = msg.get("Date")
    if not value:
        return ["sig:no_date"]
    try:
        sent = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return ["sig:bad_date"]
    if sent.tzinfo is None:
        return ["sig:date_no_zone"]
    got = _received_time(msg)
    if got is None:
        return []
    hours = (got - sent).total_seconds() / 3600
    if hours < -1:
        return ["sig:date_future"]  # dated ahead of its own arrival: bulk tools do this
    for edge in _SKEW_HOURS:
        if hours <= edge:
            return [f"sig:date_skew<={edge}h"]
    return ["sig:date_skew>week"]


def msgid_tokens(msg: email.message.Message) -> list[str]:
    """A Message-ID every mail client writes as <local@domain.tld>."""
    value = str(msg.get("Message-ID") or "").strip()
    if not value:
        return []
    if not _MSGID.match(value):
        return ["sig:msgid_malformed"]
    local = value[1:].partition("@")[0]
    return ["sig:msgid_short"] if len(local) < 8 else []


def encoded_word_tokens(msg: email.message.Message) -> list[str]:
    """Encoded words: normal for non-ASCII names and subjects, abuse when they hide ASCII."""
    tokens: list[str] = []
    for name in ("Subject", "From"):
        raw = str(msg.get(name) or "")
        found = _ENCODED_WORD.findall(raw)
        if not found:
            continue
        tokens.append(f"sig:{name.lower()}_encoded")
        charsets = {c.lower() for c, _ in found}
        if len(charsets) > 1:
            tokens.append(f"sig:{name.lower()}_mixed_charsets")
        try:
            plain = "".join(
                part.decode(cs or "ascii", "replace") if isinstance(part, bytes) else part
                for part, cs in email.header.decode_header(raw)
            )
        except Exception:  # a malformed encoded word is itself the signal
            tokens.append(f"sig:{name.lower()}_encoded_broken")
            continue
        if plain.isascii():
            tokens.append(f"sig:{name.lower()}_encoded_ascii")  # nothing needed encoding
    return tokens


def mua_tokens(msg: email.message.Message, has_received: bool) -> list[str]:
    """Headers every mail client writes; bulk tools and hand-rolled scripts skip some."""
    tokens = []
    if not msg.get("Message-ID"):
        tokens.append("sig:no_msgid")
    if not msg.get("To") and not msg.get("Cc"):
        tokens.append("sig:no_to")
    if not msg.get("Date"):
        tokens.append("sig:no_date_hdr")
    if msg.get("MIME-Version") is None and msg.get_content_maintype() != "text":
        tokens.append("sig:mime_without_version")
    if not has_received:
        tokens.append("sig:no_received")
    return tokens


def sender_tokens(msg: email.message.Message) -> list[str]:
    """The From display name claiming another address than From's own."""
    name, address = parseaddr(str(msg.get("From") or ""))
    tokens = []
    match = _NAMED_ADDRESS.search(name)
    if match and address and not address.lower().endswith(match.group(1).lower()):
        tokens.append("sig:from_name_other_address")
    if address and not _ADDRESS.match(address):
        tokens.append("sig:from_malformed")
    return tokens


def mixed_script_tokens(text: str) -> list[str]:
    """Cyrillic and Latin letters inside one word: homoglyphs that dodge word filters.

    One scan for a letter of one script next to one of the other, not a loop over words:
    this runs on every message.
    """
    text = text[:_MIXED_CHARS]
    if text.isascii() or not _CYR.search(text):
        return []  # both tokens need a Cyrillic letter (ASCII text: checked in one pass)
    # The language alone is no evidence (a corpus's spam may be in one language and its ham
    # in another); Cyrillic and Latin words side by side in one message are more common
    # in spam that mixes brand names into Russian text, and the model weighs that.
    tokens = []
    mixed = len(_MIXED.findall(text, 0, len(text)))
    if mixed:
        tokens.append("sig:mixed_script_words" + ("+" if mixed > 2 else ""))
    if _LAT.search(text):
        tokens.append("sig:text_ru_en")
    return tokens


def all_header_tokens(msg: email.message.Message) -> list[str]:
    """Every header signal of this module for one parsed message."""
    return (
        date_tokens(msg)
        + msgid_tokens(msg)
        + encoded_word_tokens(msg)
        + mua_tokens(msg, bool(msg.get_all("Received")))
        + sender_tokens(msg)
    )
