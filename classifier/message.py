"""Parse raw mail into the pieces the classifier reads: subject, text, URLs, header signals."""

from __future__ import annotations

import codecs
import email
import email.header
import email.message
import email.utils
import re
from dataclasses import dataclass, field

from classifier import scan, signals, upstream
from classifier.domains import registrable
from classifier.html import anchors, html_to_text
from classifier.parsed import count_addresses, message_from_bytes, parseaddr
from classifier.payload import decoded_payload
from classifier.relay import FILTER_HEADERS, header_tokens

_MAX_TEXT = 60_000  # characters of body text kept; the start of a message carries its intent
_MAX_PARTS = 64
_URL = re.compile(r"(?:https?://|\bwww\.)[^\s\"'<>()\[\]{}]+", re.I)
_HREF = re.compile(r"(?:href|src|action)\s*=\s*[\"']?\s*([a-z]+:[^\s\"'<>]+)", re.I)
_AUTH = re.compile(r"\b(spf|dkim|dmarc|arc)\s*=\s*([a-z]+)", re.I)
_LOOKS_HTML = re.compile(r"<(html|body|table|font|a\s+href|p>|br>|div)", re.I)
_MAILER_WORD = re.compile(r"[a-z]{2,}")
_NAME_WORD = re.compile(r"[^\W_]{2,20}")
_CHARSET_OK: dict[str, str | None] = {}


@dataclass
class Extracted:
    """What the featurizer sees of one message."""

    subject: str = ""
    text: str = ""
    urls: list[str] = field(default_factory=list)
    sender_domain: str = ""
    tokens: list[str] = field(default_factory=list)  # ready-made meta features
    # Which HTML tags and attributes a message uses (html_to_text): a block of its own,
    # weighted low (features.BLOCK_WEIGHTS), because that mail is HTML at all says more
    # about the corpus (plain-text mailing lists, HTML newsletters) than about spam.
    markup: list[str] = field(default_factory=list)
    anchors: list[tuple[str, str]] = field(default_factory=list)  # (href, text) of HTML links


def codec_for(charset: str | None) -> str | None:
    """The Python codec for a MIME charset label, or None when it is bogus."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower()
    if label not in _CHARSET_OK:
        try:
            _CHARSET_OK[label] = codecs.lookup(label).name
        except (LookupError, ValueError):
            _CHARSET_OK[label] = None
    return _CHARSET_OK[label]


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode body bytes; bogus or lying charsets fall back instead of failing."""
    codec = codec_for(charset)
    if codec is not None:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # cp1252 maps nearly every byte, so Western 8-bit mail still yields words.
        return data.decode("cp1252", errors="replace")


def decode_header(value: str | email.header.Header | None) -> str:
    """Decode RFC 2047 words of a header value, tolerating bogus charsets."""
    if value is None:
        return ""
    try:
        chunks = email.header.decode_header(str(value))
    except Exception:  # malformed encoded words: keep the raw text
        return str(value)
    out = []
    for chunk, charset in chunks:
        out.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return "".join(out)


def parse(raw: bytes) -> email.message.Message:
    """Parse ``raw`` with the lenient compat32 policy and drop filters' verdict headers.

    ``X-Spam-*``/``X-Virus-*`` are added by upstream filters (and by whoever built a
    training corpus): learning them would learn that filter, not the mail.
    """
    return strip_filters(message_from_bytes(raw))


def strip_filters(msg: email.message.Message) -> email.message.Message:
    """``msg`` without filters' verdict headers (see parse)."""
    for name in {k for k in msg if FILTER_HEADERS.match(k)}:
        del msg[name]
    return msg


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip(" <>.").lower()


def _bucket(n: int, edges: tuple[int, ...]) -> str:
    for edge in edges:
        if n <= edge:
            return str(edge)
    return f">{edges[-1]}"


def _alignment(domain: str, sender_domain: str) -> str:
    if not domain or not sender_domain:
        return "none"
    return "same" if registrable(domain) == registrable(sender_domain) else "other"


def _header_tokens(msg: email.message.Message, out: Extracted) -> None:
    tokens = out.tokens
    from_name, sender = parseaddr(decode_header(msg.get("From")))
    out.sender_domain = _domain_of(sender) if "@" in sender else ""
    tokens.append("from:dom=" + (out.sender_domain or "none"))
    reply_to = parseaddr(decode_header(msg.get("Reply-To")))[1]
    if reply_to and registrable(_domain_of(reply_to)) != registrable(out.sender_domain):
        tokens.append("hdr:reply_to_elsewhere")
    recipients = count_addresses(
        tuple(decode_header(v) for k in ("To", "Cc") for v in msg.get_all(k, []))
    )
    tokens.append("hdr:rcpts=" + _bucket(recipients, (0, 1, 2, 5, 20)))
    to = decode_header(msg.get("To")).lower()
    if not to.strip() or "undisclosed" in to:
        tokens.append("hdr:to_hidden")  # bulk mail sent by Bcc
    elif sender and sender.lower() in to:
        tokens.append("hdr:to_is_from")
    tokens.append("hdr:hops=" + _bucket(len(msg.get_all("Received", [])), (0, 1, 2, 4, 7)))
    if msg.get("List-Unsubscribe"):
        tokens.append("hdr:list_unsubscribe")
    # Forged or bulk-tool headers rarely agree with the claimed sender; real mail does.
    msgid = str(msg.get("Message-ID") or "")
    if not msgid:
        tokens.append("hdr:no_message_id")
    else:
        tokens.append("hdr:msgid_" + _alignment(_domain_of(msgid.strip()), out.sender_domain))
    return_path = parseaddr(str(msg.get("Return-Path") or ""))[1]
    if return_path:
        tokens.append("hdr:return_path_" + _alignment(_domain_of(return_path), out.sender_domain))
    date = msg.get("Date")
    try:
        parsed_date = email.utils.parsedate_tz(str(date)) if date else None
    except Exception:
        parsed_date = None
    if parsed_date is None or abs(parsed_date[9] or 0) > 14 * 3600:
        tokens.append("hdr:bad_date")
    mailer = decode_header(msg.get("X-Mailer") or msg.get("User-Agent"))
    for word in _MAILER_WORD.findall(mailer.lower())[:6]:
        tokens.append("mailer:" + word)
    for value in msg.get_all("Authentication-Results", []):
        for method, verdict in _AUTH.findall(str(value)):
            tokens.append(f"auth:{method.lower()}={verdict.lower()}")
    _more_header_tokens(msg, tokens, from_name)
    tokens.extend(signals.all_header_tokens(msg))
    tokens.extend(header_tokens(msg, sender))
    spf = msg.get("Received-SPF")
    if spf:
        tokens.append("auth:spf=" + str(spf).split(None, 1)[0].lower()[:10])


# A value's shape (runs of digits, lower and upper case letters collapsed): bulk tools
# stamp Message-IDs and MIME boundaries with their own pattern, mail clients with theirs.
_SHAPE = ((re.compile(r"[0-9]+"), "9"), (re.compile(r"[a-z]+"), "a"), (re.compile(r"[A-Z]+"), "A"))


def shape(value: str) -> str:
    """``20021204050715.164DD3420E`` -> ``9.9A9A``: the pattern, not the value."""
    for pattern, repl in _SHAPE:
        value = pattern.sub(repl, value)
    return value[:16]


def _more_header_tokens(msg: email.message.Message, tokens: list[str], from_name: str) -> None:
    """Header facts any site sees the same way: threading, bulk markers, sender's name."""
    # Replies name the mail they answer; bulk mail, wanted or not, starts no thread.
    if msg.get("In-Reply-To") or msg.get("References"):
        tokens.append("hdr:threaded")
    for name in ("Precedence", "X-Priority", "X-MSMail-Priority", "Importance"):
        value = str(msg.get(name) or "").strip().lower()
        if value:
            tokens.append(f"hdr:{name.lower()}={value[:8]}")
    if msg.get("List-Id"):
        tokens.append("hdr:list_id")
    if not msg.get("MIME-Version"):
        tokens.append("hdr:no_mime_version")
    if msg.get("Organization"):
        tokens.append("hdr:organization")
    for word in _NAME_WORD.findall(from_name.lower())[:4]:
        tokens.append("fromname:" + word)
    msgid = str(msg.get("Message-ID") or "").strip().strip("<>")
    if msgid:
        tokens.append("msgid:" + shape(msgid.rpartition("@")[0]))
    boundary = msg.get_boundary()
    if boundary:
        tokens.append("boundary:" + shape(boundary))


def _body(msg: email.message.Message, out: Extracted) -> None:
    texts: list[str] = []
    markup: list[str] = []
    kinds: set[str] = set()
    for n, part in enumerate(msg.walk()):
        if n >= _MAX_PARTS:
            break
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        charset = part.get_param("charset")
        if isinstance(charset, str):
            out.tokens.append("charset:" + (codec_for(charset) or "bogus"))
        filename = part.get_filename()
        if filename or ctype not in ("text/plain", "text/html"):
            out.tokens.append("att:" + ctype)
            if filename:
                out.tokens.append("att:ext=" + decode_header(filename).rpartition(".")[2][:8])
            continue
        payload = decoded_payload(part)
        if not isinstance(payload, bytes):
            continue
        label = charset if isinstance(charset, str) else None
        payload = payload[: _MAX_TEXT * 4]
        out.tokens.extend(signals.charset_tokens(payload, label))
        body = decode_bytes(payload, label)
        kinds.add(ctype)
        cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if cte == "base64":
            out.tokens.append("body:base64_text")  # hides text from naive filters
        if ctype == "text/plain" and _LOOKS_HTML.search(body[:2000]):
            # HTML sent as text/plain: mail clients would show tags, bulk tools do this.
            out.tokens.append("body:html_in_plain")
            ctype = "text/html"
        if ctype == "text/html":
            out.urls.extend(scan.findall(_HREF, body, ("href", "src", "action")))
            out.anchors.extend(anchors(body))
            body, tags = html_to_text(body)
            markup.extend(tags)
        texts.append(body)
    if kinds == {"text/html"}:
        out.tokens.append("body:html_only")
    elif not kinds:
        out.tokens.append("body:no_text")
    for tag in markup:
        (out.markup if tag.startswith(("tag:", "attr:")) else out.tokens).append(tag)
    out.text = "\n".join(texts)[:_MAX_TEXT]


def extract(raw: bytes, trusted_authserv_id: str = "") -> Extracted:
    """Everything the featurizer needs from ``raw``; never raises on malformed mail.

    ``trusted_authserv_id`` names the receiving server whose spam scores count (upstream).
    """
    out = Extracted()
    try:
        msg = message_from_bytes(raw)
        if trusted_authserv_id:
            out.tokens.extend(upstream.score_tokens(msg, trusted_authserv_id))
        msg = strip_filters(msg)
        out.subject = decode_header(msg.get("Subject"))
        _header_tokens(msg, out)
        out.tokens.extend(signals.reply_tokens(msg, out.subject))
        _body(msg, out)
    except Exception:  # garbage in: score what we got so far, never fail the pipeline
        out.tokens.append("parse:error")
        if not out.text:
            out.text = decode_bytes(raw[:_MAX_TEXT], None)
    out.urls.extend(scan.findall(_URL, out.text, ("http", "www.")))
    out.tokens.extend(signals.mixed_script_tokens(out.subject + "\n" + out.text[:20_000]))
    out.tokens.extend(signals.text_tokens(out.text))
    return out
