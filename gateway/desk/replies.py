"""Replies to closed tickets: a reply that only says thanks never reopens one."""

from __future__ import annotations

import re

# Words a thanks-only reply may consist of (after lower-casing and dropping punctuation).
_THANKS = frozenset(
    [
        "спасибо",
        "спасиб",
        "спс",
        "благодарю",
        "благодарим",
        "благодарность",
        "thanks",
        "thank",
        "thx",
        "ty",
        "cheers",
    ]
)
_FILLER = frozenset(
    [
        "большое",
        "огромное",
        "вам",
        "всем",
        "заранее",
        "ещё",
        "еще",
        "раз",
        "теперь",
        "всё",
        "все",
        "работает",
        "заработало",
        "получилось",
        "помогло",
        "решено",
        "отлично",
        "хорошо",
        "супер",
        "ок",
        "окей",
        "да",
        "you",
        "very",
        "much",
        "so",
        "a",
        "lot",
        "it",
        "works",
        "working",
        "worked",
        "now",
        "fixed",
        "great",
        "perfect",
        "ok",
        "okay",
        "all",
        "good",
        "again",
        "many",
    ]
)
# These turn a thanks into a new problem report ("спасибо, но не работает").
_DOUBT = frozenset(
    ["не", "нет", "но", "однако", "снова", "опять", "not", "no", "but", "still", "again", "doesnt"]
)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text.casefold().replace("'", ""))


def is_thanks_only(text: str, extra_phrases: list[str] | None = None) -> bool:
    """True for "Спасибо!", "Thanks, it works", "спасибо, всё работает" (a signed name on
    its own last line is allowed); False when anything else is said."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return False
    normal = " ".join(_words(" ".join(lines)))
    for phrase in extra_phrases or []:
        if normal == " ".join(_words(phrase)):
            return True
    # A last line of one or two capitalised words is a signature ("Иван", "Ivan Petrov").
    if len(lines) > 1 and re.fullmatch(r"(?:[A-ZА-ЯЁ][\w.-]*\s*){1,2}", lines[-1]):
        lines = lines[:-1]
    words = _words(" ".join(lines))
    if not words or len(words) > 12 or _DOUBT & set(words):
        return False
    return bool(_THANKS & set(words)) and all(w in _THANKS or w in _FILLER for w in words)
