"""Auto-replies that carry no header saying so: known subjects, repeated texts.

Many vacation programs and mobile clients send no Auto-Submitted, Precedence or vendor
header at all; what gives them away is a stock subject ("Out of office", "Автоответ",
"Abwesenheitsnotiz", ...) and the same text sent again and again.
"""

from __future__ import annotations

import difflib
import re

# Subject phrases of out-of-office and automatic replies, by language; matched as words
# anywhere in the subject (clients prefix them to the original one, or put them after).
# Only stock phrases: "on vacation" or "в отпуске" also open genuine requests, and a
# person's mail taken for automatic would reach no agent.
_PHRASES = (
    # English
    r"out of (the )?office",
    r"automatic reply",
    r"auto[- ]?reply",
    r"auto[- ]?response",
    r"autoresponse",
    r"away from (the )?office",
    r"vacation (reply|notice|message)",
    # Russian
    r"автоответ",
    r"автоматический ответ",
    r"автоматическое сообщение",
    r"автоматическое уведомление",
    # German
    r"abwesenheitsnotiz",
    r"automatische antwort",
    r"nicht im büro",
    # French
    r"réponse automatique",
    r"reponse automatique",
    r"absence du bureau",
    r"absent du bureau",
    r"message d'absence",
    # Spanish, Portuguese
    r"respuesta automática",
    r"respuesta automatica",
    r"resposta automática",
    r"ausência temporária",
    # Italian
    r"fuori sede",
    r"risposta automatica",
    # Dutch, Scandinavian, Polish, Czech, Ukrainian, Turkish, Japanese, Chinese
    r"automatisch antwoord",
    r"automatiskt svar",
    r"automatyczna odpowiedź",
    r"automatická odpověď",
    r"автовідповідь",
    r"автоматична відповідь",
    r"otomatik yanıt",
    r"自動応答",
    r"自动回复",
    r"自動回覆",
)
_SUBJECT_RE = re.compile(
    r"(?:^|[\s\[\(:\-–—,;])(?:" + "|".join(_PHRASES) + r")(?:$|[\s\]\):\-–—,;.!])",
    re.IGNORECASE,
)


def auto_reply_subject(subject: str) -> str | None:
    """The auto-reply phrase found in `subject`, or None."""
    match = _SUBJECT_RE.search(" ".join(subject.split()))
    return match.group(0).strip(" []():-–—,;.!") if match else None


def _normalised(text: str) -> str:
    # Dates, counters and ticket numbers change between two sends of one stock text.
    text = re.sub(r"\d+", "0", text.lower())
    return " ".join(text.split())[:4000]


def near_identical(a: str, b: str, ratio: float = 0.9) -> bool:
    """Whether two texts are the same stock text (digits and spacing aside)."""
    na, nb = _normalised(a), _normalised(b)
    if not na or not nb:
        return na == nb
    if na == nb:
        return True
    matcher = difflib.SequenceMatcher(None, na, nb, autojunk=False)
    # The cheap upper bounds first: most pairs of different texts stop here.
    return (
        matcher.real_quick_ratio() >= ratio
        and matcher.quick_ratio() >= ratio
        and (matcher.ratio() >= ratio)
    )
