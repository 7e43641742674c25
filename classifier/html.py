"""HTML to text for the classifier, keeping the markup signals spam relies on."""

from __future__ import annotations

import html
import re

# Every pattern stops at the next "<": spam HTML is often unclosed,
# and a lazy ".*?" or "[^>]*" would rescan to the end at each "<" (quadratic time).
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)([^<>]*)>")
_HIDDEN_SPANS = (
    ("comment", "<!--", "-->"),
    ("script", "<script", "</script"),
    ("style", "<style", "</style"),
    ("head", "<head", "</head"),
)
_ATTR = re.compile(r"([a-zA-Z-]+)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)")
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*[01](px|pt)?\b", re.I
)
_WHITE = re.compile(r"^#?(fff|ffffff|white)$", re.I)
# Tags whose presence (not content) is the signal; layout tags like <p> say nothing.
_SIGNAL_TAGS = frozenset(
    [
        "font",
        "img",
        "table",
        "form",
        "input",
        "iframe",
        "object",
        "embed",
        "map",
        "area",
        "center",
        "marquee",
        "blink",
        "base",
        "script",
        "style",
        "a",
        "b",
        "i",
        "u",
        "h1",
        "h2",
        "h3",
    ]
)
_SIGNAL_ATTRS = frozenset(
    ["color", "bgcolor", "size", "face", "style", "width", "height", "src", "href", "action"]
)
_MAX_HTML = 200_000
# An anchor and its text, up to the next tag: enough to read "www.bank.com" off a link.
_ANCHOR = re.compile(r"<a\s[^<>]*?href\s*=\s*[\"']?([^\"'\s<>]+)[^<>]*>([^<]{0,200})", re.I)
_MAX_ANCHORS = 50
_LEFTOVER = re.compile(r"<[^<>]*>")


def anchors(markup: str) -> list[tuple[str, str]]:
    """(href, visible text) of the first links of ``markup``."""
    found = []
    for match in _ANCHOR.finditer(markup[:_MAX_HTML]):
        found.append((match.group(1), html.unescape(match.group(2))))
        if len(found) == _MAX_ANCHORS:
            break
    return found


def html_to_text(markup: str) -> tuple[str, list[str]]:
    """Return the visible text of ``markup`` and its markup tokens.

    Markup tokens: signal tags (``tag:font``), their attributes (``attr:font.color``),
    hidden-text tricks (``html:hidden``), white text, and image links. Regular expressions
    rather than a real parser: an order of magnitude faster, and spam HTML is often broken
    anyway, where a lenient scan behaves better than a strict tree.
    """
    markup = markup[:_MAX_HTML]
    tokens: list[str] = []
    if "<!--" in markup:
        tokens.append("html:comment")
    lower = markup.lower()  # again only after a cut: most HTML has no span to cut
    for name, start, end in _HIDDEN_SPANS:
        if start not in lower:
            continue
        markup, unclosed = _cut(markup, lower, start, end)
        lower = markup.lower()
        if unclosed:
            # Browsers hide the rest of the message: text stuffed there is for filters.
            tokens.append("html:unclosed_" + name)
    n_img = 0
    # findall's tuples, not match objects: most tags are layout, dropped at once.
    for closing, tag, attrs in _TAG.findall(markup):
        name = tag.lower()
        if closing or name not in _SIGNAL_TAGS:
            continue
        tokens.append("tag:" + name)
        if name == "img":
            n_img += 1
        for attr, value in _ATTR.findall(attrs):
            attr = attr.lower()
            if attr not in _SIGNAL_ATTRS:
                continue
            tokens.append(f"attr:{name}.{attr}")
            value = value.strip("\"'")
            if attr == "style" and _HIDDEN_STYLE.search(value):
                tokens.append("html:hidden")
            elif attr in ("color", "size") and (_WHITE.match(value) or value in ("0", "1")):
                tokens.append(f"html:{attr}={value.lower()}")
    text = html.unescape(_TAG.sub(" ", markup))
    # Leftover "<" of broken tags and entity leftovers are noise, not words.
    text = _LEFTOVER.sub(" ", text)
    if n_img and len(text.split()) < 20:
        tokens.append("html:image_only")
    return text, tokens


def _cut(markup: str, lower: str, start: str, end: str) -> tuple[str, bool]:
    """Remove every ``start``...``end`` span (case-insensitive) in linear time.

    ``lower`` is ``markup.lower()``. An unclosed span runs to the end, as a browser
    would treat it; the flag says so.
    """
    kept: list[str] = []
    pos = 0
    while (begin := lower.find(start, pos)) != -1:
        after = begin + len(start)
        if start[-1].isalpha() and after < len(lower) and lower[after].isalnum():
            kept.append(markup[pos:after])  # <header> is not <head>
            pos = after
            continue
        kept.append(markup[pos:begin])
        close = lower.find(end, begin + len(start))
        if close == -1:
            return "".join(kept), True
        close = lower.find(">", close)
        pos = len(markup) if close == -1 else close + 1
        kept.append(" ")
    kept.append(markup[pos:])
    return "".join(kept), False
