"""Split a reply into its new text, the quoted history below it and the signature."""

from __future__ import annotations

import re

from gateway.parse.model import ReplyParts

_I = re.IGNORECASE
_EMAIL = r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+"

# "On <date>, <name> wrote:" and its translations; they may wrap over up to three lines.
_ATTRIBUTION = re.compile(
    r"^[\W_]{0,10}(?:"
    r"on\b.{4,300}\b(?:wrote|writes|said|sent)\s*:?"
    r"|am\b.{4,300}\bschrieb.{0,200}:"
    r"|.{1,300}\bschrieb\b.{0,120}:"
    r"|le\b.{4,300}\ba\s+[ée]crit\s*:"
    r"|el\b.{4,300}\bescribi[óo]\s*:"
    r"|il\b.{4,300}\bha\s+scritto\s*:"
    r"|op\b.{4,300}\b(?:schreef.{0,120}|geschreven\s*):"
    r"|em\b.{4,300}\bescreveu\s*:"
    r"|(?:w\s+dniu|dnia)\b.{4,300}\b(?:pisze|napisa[łl]\(?a?\)?)\s*:"
    r"|den\b.{4,300}\bskrev.{0,80}:"
    r"|.{1,300}\b(?:skrev|kirjoitti|napsal\(a\)|napsal|írta|yazdı)\s*:"
    r"|.{0,300}(?:пишет|писал\(а\)|писала|писал|написал\(а\)|написала|написал|написав)\s*:"
    r"|.{0,300}(?:写道|寫道|のメッセージ|は書きました|님이 작성)\s*[:：]?"
    r")[\s_-]*$",
    _I,
)
_ATTRIBUTION_START = re.compile(
    r"^\W{0,3}(?:on|am|le|el|il|op|em|w dniu|dnia|den|\d|\w{2,4}\.?,)\b", _I
)
_ATTRIBUTION_END = re.compile(r"(?:[:：]|wrote|writes|said|sent|写道|寫道|メッセージ)[\s_-]*$", _I)
# Yandex, mail.ru and localised Gmail: a date and "<address>:" closing the line.
_DATED_ADDRESS = re.compile(rf"^.{{0,200}}\d.{{0,200}}<?{_EMAIL}>?\s*(?:\)\s*)?:\s*$")
_SEPARATOR = re.compile(
    r"^\s*(?:[-_=*]{2,}\s*)?(?:original message|исходное сообщение|ursprüngliche nachricht"
    r"|originalnachricht|message d'origine|mensaje original|messaggio originale"
    r"|oorspronkelijk bericht|oryginalna wiadomość|původní zpráva|alkuperäinen viesti"
    r"|forwarded message|пересылаемое сообщение|переадресованное сообщение"
    r"|forwarded by .{1,80}|begin forwarded message:?|weitergeleitete nachricht"
    r"|message transféré|reply above this line|ответьте выше этой строки)"
    r"\s*(?:[-_=*]{2,})?\s*$",
    _I,
)
_RULE = re.compile(r"^\s*(?:_{16,}|-{16,}|={16,})\s*$")
_HEADER_FROM = re.compile(
    r"^\s*[*>]*\s*(?:from|от|von|de|van|da|fra|från|od|kimden|lähettäjä|発信者|发件人|寄件者)"
    r"\s*[*]*\s*[:：]",
    _I,
)
_HEADER_NEXT = re.compile(
    r"^\s*[*>]*\s*(?:sent|date|to|subject|cc|отправлено|дата|кому|тема|копия|gesendet|datum"
    r"|an|betreff|envoyé|date|à|objet|enviado|fecha|para|asunto|inviato|oggetto|a"
    r"|verzonden|aan|onderwerp|wysłano|temat|do|skickat|ämne|till|gönderildi|konu"
    r"|sendt|til|emne|from|от|von|de|van|fra|från|od"
    r"|送信日時|件名|宛先|发送时间|主题|收件人)\s*[*]*\s*[:：]",
    _I,
)
# Some clients start the header block with the date instead of the sender.
_HEADER_DATE = re.compile(r"^\s*[*]*(?:date|datum|дата|sent|отправлено)[*]*\s*:", _I)
_INTRO_ADDRESS = re.compile(rf"^.{{0,200}}\d.{{0,200}}<?{_EMAIL}>?\s*:?\s*$")
_SIG_DELIM = re.compile(r"^(?:--|-- |—|__|_{2,}|-{2,} ?)\s*$")
_MOBILE = re.compile(
    r"^\s*(?:sent from (?:my )?[\w .'-]{1,40}|sent with [\w .()/:?-]{1,80}"
    r"|get outlook for [\w ]{1,20}|von meinem [\w ]{1,30} gesendet|gesendet von [\w ]{1,30}"
    r"|envoyé de mon [\w ]{1,30}|enviado desde mi [\w ]{1,30}|inviato da [\w ]{1,30}"
    r"|отправлено (?:с|из|со) [\w .«»\"-]{1,60}|sent from yandex[\w .]{0,20}"
    r"|отправлено из мобильной почты mail\.ru|написано с [\w ]{1,30})\s*$",
    _I,
)
_NAME_SIG = re.compile(r"^-[^\W\d_][\w .'-]{0,40}$")
_MAX_SIG_LINES = 20
_MAX_CLOSING = 4
_ATTRIBUTION_SPAN = 3


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_at(lines: list[str], i: int) -> bool:
    for span in range(1, _ATTRIBUTION_SPAN + 1):
        if i + span > len(lines) or not lines[i + span - 1].strip():
            break
        if span > 1 and not _ATTRIBUTION_START.match(lines[i]):
            # Only lines that open like an attribution may wrap onto the next ones;
            # otherwise the last sentence of the reply would be swallowed with it.
            break
        joined = " ".join(s.strip() for s in lines[i : i + span])
        if len(joined) > 400:
            break
        if not _ATTRIBUTION_END.search(joined[-16:]):
            continue  # cheap test first: every attribution ends in ":" or "wrote"
        if _ATTRIBUTION.match(joined) or _DATED_ADDRESS.match(joined):
            return True
    return False


def _header_block_at(lines: list[str], i: int) -> bool:
    if not _HEADER_FROM.match(lines[i]) and not (i > 0 and _HEADER_DATE.match(lines[i])):
        return False
    following = [ln for ln in lines[i + 1 : i + 8] if ln.strip()][:5]
    return sum(1 for ln in following if _HEADER_NEXT.match(ln)) >= 2 or (
        len(following) >= 1 and bool(_HEADER_NEXT.match(following[0])) and i > 0
    )


def _quote_range(lines: list[str]) -> tuple[int, int]:
    """(first, end) lines of the quoted history; (len, len) when there is none.

    Usually the history runs to the end. A single quote block with new text above it and
    only a short closing below ("Regards, Roman") is cut out of the middle instead.
    Interleaved answers (several quote blocks with text between) are not split at all.
    """
    n = len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _SEPARATOR.match(stripped) or _header_block_at(lines, i):
            return _back_over_rule(lines, i), n
        attributed = _attribution_at(lines, i)
        if not attributed and not _quoted(line):
            continue
        first = i if attributed else _back_over_intro(lines, i)
        j = i + 1 if attributed else i
        while j < n and not _quoted(lines[j]) and j <= i + _ATTRIBUTION_SPAN + 1:
            j += 1
        if j >= n or not _quoted(lines[j]):
            if attributed:
                return first, n  # unquoted history under the attribution
            continue
        if _rest_is_quote(lines, j):
            return first, n
        k = _block_end(lines, j)
        if _closing_only(lines, k, first):
            return first, k
        return n, n  # interleaved: the answers live between the quotes
    return n, n


def _block_end(lines: list[str], j: int) -> int:
    while j < len(lines) and (_quoted(lines[j]) or not lines[j].strip()):
        j += 1
    return j


def _closing_only(lines: list[str], k: int, first: int) -> bool:
    """A few unquoted lines after the quote, no more quotes, and real text before it."""
    after = [ln for ln in lines[k:] if ln.strip()]
    before = [ln for ln in lines[:first] if ln.strip()]
    return bool(before) and len(after) <= _MAX_CLOSING and not any(_quoted(a) for a in after)


def _back_over_rule(lines: list[str], i: int) -> int:
    # Outlook draws a rule of underscores above the header block.
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    return j if j >= 0 and _RULE.match(lines[j]) else i


def _back_over_intro(lines: list[str], i: int) -> int:
    # An unrecognised "Someone wrote:" line directly above a quote belongs to the quote.
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    intro = j > 0 and len(lines[j]) < 200
    if intro and (lines[j].rstrip().endswith(":") or _INTRO_ADDRESS.match(lines[j])):
        return j
    return i


def _rest_is_quote(lines: list[str], i: int) -> bool:
    """True when nothing but quotes, blank lines and a short signature follow line i."""
    unquoted = [ln for ln in lines[i:] if ln.strip() and not _quoted(ln)]
    if not unquoted:
        return True
    tail = _signature_start([*unquoted])
    return tail == 0


def _signature_start(lines: list[str]) -> int:
    """Index where the signature begins in ``lines``, len(lines) if there is none."""
    n = len(lines)
    last = n - 1
    while last >= 0 and not lines[last].strip():
        last -= 1
    if last < 0:
        return n
    for i in range(last, max(-1, last - _MAX_SIG_LINES - 1), -1):
        line = lines[i]
        if line == "-- " or (_SIG_DELIM.match(line) and i < last):
            return i
    if _MOBILE.match(lines[last]):
        start = last
        if start > 0 and _SIG_DELIM.match(lines[start - 1]):
            start -= 1
        return start
    # "-Name" closing lines, as in "-Abhishek Kona" (GitHub and list mail).
    for i in range(last, max(-1, last - 6), -1):
        if _NAME_SIG.match(lines[i].strip()):
            return i
    return n


def split_reply(text: str) -> ReplyParts:
    """Split ``text`` into the new text, the quoted history and the signature.

    If nothing new would remain (an empty top-posted reply, a bare forward) the whole
    text stays the body.
    """
    norm = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = norm.split("\n")
    q, q_end = _quote_range(lines)
    head, quoted = lines[:q] + lines[q_end:], lines[q:q_end]
    s = _signature_start(head)
    body = "\n".join(head[:s]).strip("\n").rstrip()
    signature = "\n".join(head[s:]).strip("\n").rstrip()
    if not body.strip():
        return ReplyParts(norm.strip("\n").rstrip(), "", "")
    return ReplyParts(body, "\n".join(quoted).strip("\n").rstrip(), signature)
