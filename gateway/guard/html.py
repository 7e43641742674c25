"""Bounds on HTML work: measured in one linear pass before any parser sees the markup.

HTML-to-text and sanitising are quadratic in the nesting depth (650 KB of nested
`<div>` kept a parser busy for over a minute; nested tables multiplied the text). So
before parsing, `assess` counts the size and the deepest nesting with a regular
expression over the tags; HTML past either limit is never parsed: its text is taken by
stripping the tags (linear), it is not kept for display, and the message is flagged.
The raw message stays in the spool, whole.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# Real mail: newsletters reach 200-300 KB and a depth of 30-40 (tables in tables).
MAX_HTML_CHARS = 1_000_000
MAX_DEPTH = 200
# Text taken from HTML that is not parsed; more is not read by anybody.
MAX_FALLBACK_TEXT = 200_000

# No pattern here scans past another "<" or further than 2,000 characters: a tag that
# never ends must not make every later "<" read the rest of the document again.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]{0,30})[^<>]{0,2000}?(/?)>")
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# Elements whose end tag browsers (and parsers) imply: they do not nest in practice.
_IMPLIED = frozenset(["p", "li", "dt", "dd", "option", "tr", "td", "th", "thead", "tbody", "tfoot"])
_ANY_TAG = re.compile(r"<[^<>]{0,2000}>")


@dataclass(frozen=True)
class Verdict:
    # Why the HTML is not to be parsed, or "" when it may be.
    problem: str
    depth: int


def assess(markup: str) -> Verdict:
    """Size and nesting depth of `markup`, and whether they are past the limits."""
    if len(markup) > MAX_HTML_CHARS:
        return Verdict(f"HTML of {len(markup)} characters (limit {MAX_HTML_CHARS})", 0)
    depth = deepest = 0
    for match in _TAG.finditer(markup):
        closing, name, self_closing = match.groups()
        name = name.lower()
        if name in _VOID or self_closing:
            continue
        if closing:
            depth = max(0, depth - 1)
        elif name not in _IMPLIED or name in ("tr", "td", "th"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return Verdict(f"HTML nested deeper than {MAX_DEPTH} elements", deepest)
    return Verdict("", deepest)


def stripped_text(markup: str) -> str:
    """The text of HTML without parsing it: tags removed, entities decoded (linear).

    Script and style text stays, as text: finding where they end is a parser's work.
    """
    text = html.unescape(_ANY_TAG.sub(" ", markup))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)[:MAX_FALLBACK_TEXT]
