"""Where quoted history starts: attribution lines, forwarded-header blocks, separators.

The patterns cover the clients agents and requesters actually use: Gmail, Apple Mail,
Thunderbird, Outlook (its "-----Original Message-----" and "From: / Sent:" blocks in
English, Russian, German and more), mutt and neomutt ("* Name <addr> [date]:"), s-nail
("Name <addr> wrote:"), Yandex and mail.ru, in many languages; and the "reply above this
line" marker the helpdesk itself puts at the top of the mail it sends.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE
EMAIL = r"[\w.+'=?-]+@[\w-]+(?:\.[\w-]+)+"

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
    rf"|.{{0,200}}{EMAIL}>?\)?\s+(?:wrote|writes|said|a\s+[ée]crit|escribi[óo]|schrieb)\s*:"
    r")[\s_-]*$",
    _I,
)
# mutt's and neomutt's common attribution: "* Ivan Petrov <ivan@example.ru> [2020-03-02 10:00]:".
_MUTT = re.compile(rf"^\*\s+.{{0,200}}<?{EMAIL}>?\s*\[[^\]]{{4,60}}\]\s*:\s*$")
_ATTRIBUTION_START = re.compile(
    r"^\W{0,3}(?:on|am|le|el|il|op|em|w dniu|dnia|den|\d|\w{2,4}\.?,)\b", _I
)
_ATTRIBUTION_END = re.compile(r"(?:[:：]|wrote|writes|said|sent|写道|寫道|メッセージ)[\s_-]*$", _I)
# Yandex, mail.ru and localised Gmail: a date and "<address>:" closing the line.
_DATED_ADDRESS = re.compile(rf"^.{{0,200}}\d.{{0,200}}<?{EMAIL}>?\s*(?:\)\s*)?:\s*$")
# "##- Please type your reply above this line -##" (GitLab, Zammad and the helpdesk's own
# notices), "-----Original Message-----" and the forwarding banners of many clients.
_SEPARATOR = re.compile(
    r"^\s*(?:[-_=*#]{2,}\s*)?(?:original message|исходное сообщение|ursprüngliche nachricht"
    r"|originalnachricht|message d'origine|mensaje original|messaggio originale"
    r"|oorspronkelijk bericht|oryginalna wiadomość|původní zpráva|alkuperäinen viesti"
    r"|forwarded message|пересылаемое сообщение|переадресованное сообщение"
    r"|forwarded by .{1,80}|begin forwarded message:?|weitergeleitete nachricht"
    r"|message transféré|(?:please )?(?:type your )?reply above this line"
    r"|(?:пожалуйста, )?(?:напишите|пишите) ответ выше этой строки|ответьте выше этой строки)"
    r"\s*(?:[-_=*#]{2,})?\s*$",
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
_INTRO_ADDRESS = re.compile(rf"^.{{0,200}}\d.{{0,200}}<?{EMAIL}>?\s*:?\s*$")
ATTRIBUTION_SPAN = 3


def quoted(line: str) -> bool:
    """A line of "> " quoted history."""
    return line.lstrip().startswith(">")


def separator(line: str) -> bool:
    """A line after which everything is history (or the reply marker)."""
    return _SEPARATOR.match(line.strip()) is not None


def attribution_at(lines: list[str], i: int) -> bool:
    """Whether an attribution ("On ... wrote:") starts at line i (it may wrap)."""
    if _MUTT.match(lines[i].strip()):
        return True
    for span in range(1, ATTRIBUTION_SPAN + 1):
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


def header_block_at(lines: list[str], i: int) -> bool:
    """Whether a forwarded-header block ("From: ... Sent: ... To: ...") starts at line i."""
    if not _HEADER_FROM.match(lines[i]) and not (i > 0 and _HEADER_DATE.match(lines[i])):
        return False
    following = [ln for ln in lines[i + 1 : i + 8] if ln.strip()][:5]
    return sum(1 for ln in following if _HEADER_NEXT.match(ln)) >= 2 or (
        len(following) >= 1 and bool(_HEADER_NEXT.match(following[0])) and i > 0
    )


def back_over_rule(lines: list[str], i: int) -> int:
    """Line i, or the rule of underscores Outlook draws above its header block."""
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    return j if j >= 0 and _RULE.match(lines[j]) else i


def back_over_intro(lines: list[str], i: int) -> int:
    """Line i, or the unrecognised "Someone wrote:" line directly above the quote at i."""
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    intro = j >= 0 and len(lines[j]) < 200
    if intro and (lines[j].rstrip().endswith(":") or _INTRO_ADDRESS.match(lines[j])):
        return j
    return i
