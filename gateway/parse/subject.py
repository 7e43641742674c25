"""Subject normalisation: strip reply/forward prefixes of many languages, keep ticket tags."""

from __future__ import annotations

import re

# Reply and forward markers as mail clients write them, by language.
_PREFIXES = (
    "re", "fw", "fwd", "aw", "wg", "sv", "vs", "vb", "tr", "rv", "rif", "i", "r", "enc",
    "antw", "antwort", "doorst", "odp", "pd", "ynt", "ilt", "İlt", "res", "ref", "rép",
    "réf", "vá", "vl", "fs", "trs", "πρθ", "απ", "σχετ", "отв", "ответ", "пересл",
    "переслано", "пер", "回复", "回覆", "转发", "轉寄", "转寄", "答复", "答覆",
    "返信", "転送", "전달", "회신", "رد", "تعليق", "إعادة توجيه", "השב", "העבר",
)  # fmt: skip
_PREFIX_RE = "|".join(sorted((re.escape(p) for p in _PREFIXES), key=len, reverse=True))
_PREFIX = re.compile(
    rf"^\s*(?:{_PREFIX_RE})\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*", re.IGNORECASE
)
_BRACKET = re.compile(r"^\s*[\[【]([^\]】]{0,40})[\]】]\s*")
# Ticket tags such as [HD-123] or [Ticket#4711] identify the ticket and must survive.
_TAG = re.compile(r"^[A-Za-z][\w.]*\s*[-#]\s*\d+$")


def strip_subject_prefixes(subject: str) -> str:
    """Strip "Re:", "AW:", "Отв:", "Fwd[2]:", "[ext]" ... from the front; keep ticket tags."""
    rest = " ".join(subject.split())
    kept: list[str] = []
    dropped_bracket = ""
    stripped_prefix = False
    while rest:
        match = _PREFIX.match(rest)
        if match:
            rest = rest[match.end() :]
            stripped_prefix = True
            dropped_bracket = ""
            continue
        match = _BRACKET.match(rest)
        if not match or match.end() == len(rest):
            break
        label = match.group(1).strip()
        if _TAG.match(label):
            kept.append(f"[{label}]")
        elif not stripped_prefix:
            # A leading "[list]" or "[ext]" stays unless a prefix comes before or after it.
            dropped_bracket += match.group(0)
        rest = rest[match.end() :]
    if dropped_bracket and not stripped_prefix:
        rest = dropped_bracket + rest
    return " ".join([*kept, rest.strip()]).strip()
