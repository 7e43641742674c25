"""Header and body facts that mean the same in any corpus, year or language.

The word and relay features of a bootstrap corpus describe where and when it was
collected; these describe how a message was made: a Date far from when a relay got it,
a Message-ID no mail client writes, encoded words where plain ASCII would do, a sender
whose Reply-To points elsewhere, scripts mixed inside one word (Cyrillic letters in a
Latin word, the classic homoglyph trick), HTML whose links say one domain and go to
another, text bytes sent without the charset that would decode them (mail clients always
name it; bulk tools in another script often do not), a body written in capitals, a
"Re:" that answers no message. Each is a token named ``sig:...``; the rare ones make
a block of their own (features.ANOMALIES), the others are header facts.
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
# Characters that bytes of another script become when read as Latin-1/cp1252: the
# Latin-1 supplement, Latin Extended, spacing modifiers, and the punctuation cp1252 puts
# at 0x80-0x9f. Western text has a few accents in a hundred letters; Big5, GB2312 or
# Shift_JIS read that way is made of them.
_MOJIBAKE = re.compile(r"[\x80-\u02ff\u2010-\u203a\u20ac\u2122]")
_MOJIBAKE_CHARS = 4_000
_MOJIBAKE_SHARE = 0.2
_CAPS_CHARS = 3_000  # of the text whose words are looked at for capitals
_CAPS_MIN_WORDS = 20
_ASCII_LETTERS = re.compile(r"[A-Za-z]{3,}")
# "Re:" (after a list's [tag]) in English, German and Russian clients' spelling. Not
# "Fwd:"/"FW:": Outlook forwards without In-Reply-To or References, and a user forwarding
# a mail to the desk is everyday ham.
_REPLY = re.compile(r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:re|aw|ответ|отв)\s*(?:\[\d+\])?:", re.I)
# The free-mail providers a reply is most often diverted to (kept small: the big ones).
_FREEMAIL = re.compile(
    r"@(?:[\w-]+\.)?(?:hotmail|yahoo|gmail|googlemail|outlook|live|msn|aol|mail|excite|lycos"
    r"|rediffmail|netscape|juno|usa|yandex|rambler|list|bk|inbox|qq|163|126|sina)\.[a-z.]{2,6}$",
    re.I,
)
_LETTERS = re.compile(r"[^\W\d_]{3,}")
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
    """The From display name claiming another address than From's own, a From that is no
    address, and a Reply-To that sends the answers to a free-mail box From does not name."""
    name, address = parseaddr(str(msg.get("From") or ""))
    tokens = []
    match = _NAMED_ADDRESS.search(name)
    if match and address and not address.lower().endswith(match.group(1).lower()):
        tokens.append("sig:from_name_other_address")
    if address and not _ADDRESS.match(address):
        tokens.append("sig:from_malformed")
    reply_to = parseaddr(str(msg.get("Reply-To") or ""))[1].lower()
    if reply_to and reply_to != address.lower() and _FREEMAIL.search(reply_to):
        tokens.append("sig:reply_to_freemail")  # answers diverted to a throwaway mailbox
    return tokens


def reply_tokens(msg: email.message.Message, subject: str) -> list[str]:
    """A subject that claims a reply with no header naming the mail it answers.

    Every client that replies writes In-Reply-To or References; "Re:" on a first message
    borrows a conversation's trust (the words of the subject then count as a reply's).
    """
    if _REPLY.match(subject) and not (msg.get("In-Reply-To") or msg.get("References")):
        return ["sig:reply_unthreaded"]
    return []


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


def raw_8bit_tokens(msg: email.message.Message) -> list[str]:
    """Subject or From with raw 8-bit bytes: a mail client encodes them (RFC 2047).

    The compat32 policy hands such a value back as a Header object (its bytes could not be
    read as ASCII), every other value as a str: no byte scan needed.
    """
    return [
        f"sig:{name.lower()}_raw_8bit"
        for name in ("Subject", "From")
        if isinstance(msg.get(name), email.header.Header)
    ]


def charset_tokens(payload: bytes, charset: str | None) -> list[str]:
    """A text part's 8-bit bytes with no charset, or under a charset of 7-bit ASCII.

    The reader's client must guess how to show them; every client that wrote them names
    the charset it used. Bulk mail in other scripts skips it (the byte grams already tell
    which script; this says the label is missing, in any).
    """
    if payload.isascii():
        return []
    if not charset:
        return ["sig:8bit_undeclared"]
    if charset.strip().strip("\"'").lower() in ("us-ascii", "ascii", "ansi_x3.4-1968"):
        return ["sig:8bit_as_ascii"]
    return []


def text_tokens(text: str) -> list[str]:
    """The visible text as a reader sees it: mojibake, or a body in capitals."""
    tokens = []
    if not text.isascii():
        head = text[:_MOJIBAKE_CHARS]
        letters = len(head) - head.count(" ") - head.count("\n")
        odd = len(_MOJIBAKE.findall(head))
        if letters and odd > _MOJIBAKE_SHARE * letters:
            # Text of another script decoded under the wrong charset (or none): no
            # client shows its own user's mail so, bulk mail with a bad label is shown so.
            tokens.append("sig:mojibake")
    head = text[:_CAPS_CHARS]
    found = (_ASCII_LETTERS if head.isascii() else _LETTERS).findall(head)
    if len(found) >= _CAPS_MIN_WORDS:
        share = sum(w.isupper() for w in found) / len(found)
        # Capitals for a whole body are the pitch in any language with case ("СРОЧНО");
        # a few acronyms are not.
        if share > 0.3:
            tokens.append("sig:body_caps" + ("+" if share > 0.6 else ""))
    return tokens


def all_header_tokens(msg: email.message.Message) -> list[str]:
    """Every header signal of this module for one parsed message."""
    return (
        date_tokens(msg)
        + msgid_tokens(msg)
        + encoded_word_tokens(msg)
        + mua_tokens(msg, bool(msg.get_all("Received")))
        + sender_tokens(msg)
        + raw_8bit_tokens(msg)
    )
