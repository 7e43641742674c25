"""``pattern.findall`` for patterns that start with a literal word: the regex run only where
the word is.

The URL and link patterns of extraction (``https?://``, ``www.``, ``href=``...) are
case-insensitive alternations, which the regex engine tries at every position of the
text: on the bodies of the SpamAssassin corpus that was a twentieth of a message's
scoring time. ``str.find`` on the lower-cased text jumps from one occurrence of a word to
the next, and the pattern is tried only there, with ``match`` at that position (which
sees the characters before it, as ``\\b`` needs). The answer is findall's: the same
matches, leftmost first, each search resuming where the last match ended.

That holds when a letter matches a pattern's letter ignoring case exactly when its
lower case is that letter, and when lower-casing keeps every position. The first is
true of every letter but ``i`` and ``s`` (the dotless ``ı`` and the long ``ſ`` match
them and lower-case to themselves); the second fails for the few characters whose lower
case is longer (``İ``). Text with any of these is left to findall.
"""

from __future__ import annotations

import re

_ODD = ("\u0130", "\u0131", "\u017f")


def findall(pattern: re.Pattern[str], text: str, words: tuple[str, ...]) -> list[str]:
    """``pattern.findall(text)``, where each match of ``pattern`` starts with one of
    ``words`` (lower case, matched ignoring case) and ``pattern`` has at most one group."""
    lower = text.lower()
    if len(lower) != len(text) or any(c in text for c in _ODD):
        return pattern.findall(text)
    group = 1 if pattern.groups else 0
    found: list[str] = []
    nexts = [lower.find(word) for word in words]
    pos = 0
    while True:
        for i, at in enumerate(nexts):
            if -1 < at < pos:
                nexts[i] = at = lower.find(words[i], pos)
        live = [at for at in nexts if at >= 0]
        if not live:
            return found
        start = min(live)
        match = pattern.match(text, start)
        if match is None:
            pos = start + 1
        else:
            found.append(match.group(group) or "")  # findall's "" for a group left out
            pos = max(match.end(), start + 1)
