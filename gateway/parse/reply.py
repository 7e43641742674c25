"""Split a reply into its new text, the quoted history and the signature.

The history is recognised wherever it stands: below the answer (top-posting: Outlook,
Gmail, Apple Mail), above it (bottom-posting: mutt, s-nail, Thunderbird's option), or
interleaved with it. Where quotes start is gateway.parse.quotes' business; where a
signature starts, gateway.parse.signature's.
"""

from __future__ import annotations

from gateway.parse.model import ReplyParts
from gateway.parse.quotes import (
    ATTRIBUTION_SPAN,
    attribution_at,
    back_over_intro,
    back_over_rule,
    header_block_at,
    quoted,
    separator,
)
from gateway.parse.signature import signature_start

_MAX_CLOSING = 4


def _quote_range(lines: list[str]) -> tuple[int, int]:
    """(first, end) lines of the quoted history; (len, len) when there is none.

    Top-posted: the history runs to the end. One quote block with new text above it and
    only a short closing below ("Regards, Roman") is cut out of the middle; one with
    nothing but blank lines above it is a bottom-posted reply, and the text below is the
    new text. Interleaved answers (several quote blocks with text between) are not split.
    """
    n = len(lines)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if separator(line) or header_block_at(lines, i):
            return back_over_rule(lines, i), n
        attributed = attribution_at(lines, i)
        if not attributed and not quoted(line):
            continue
        first = i if attributed else back_over_intro(lines, i)
        j = i + 1 if attributed else i
        while j < n and not quoted(lines[j]) and j <= i + ATTRIBUTION_SPAN + 1:
            j += 1
        if j >= n or not quoted(lines[j]):
            if attributed:
                return first, n  # unquoted history under the attribution
            continue
        if _rest_is_quote(lines, j):
            return first, n
        k = _block_end(lines, j)
        after = [ln for ln in lines[k:] if ln.strip()]
        if any(quoted(a) for a in after):
            return n, n  # interleaved: the answers live between the quotes
        before = any(ln.strip() for ln in lines[:first])
        if not before or len(after) <= _MAX_CLOSING:
            return first, k  # bottom-posted, or a short closing under the quote
        return n, n
    return n, n


def _block_end(lines: list[str], j: int) -> int:
    while j < len(lines) and (quoted(lines[j]) or not lines[j].strip()):
        j += 1
    return j


def _rest_is_quote(lines: list[str], i: int) -> bool:
    """True when nothing but quotes, blank lines and a short signature follow line i."""
    unquoted = [ln for ln in lines[i:] if ln.strip() and not quoted(ln)]
    if not unquoted:
        return True
    return signature_start(unquoted) == 0


def leading_quote_end(text: str) -> int:
    """The index of the first line of ``text`` past a leading attribution and quote block.

    Commands are the first lines of new text: in an interleaved reply that opens with a
    quote they come after it.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and not quoted(lines[i]) and attribution_at(lines, i):
        i += 1
        while i < len(lines) and not quoted(lines[i]) and lines[i].strip():
            i += 1  # the rest of a wrapped attribution
    start = i
    i = _block_end(lines, i)
    return i if any(quoted(ln) for ln in lines[start:i]) else 0


def split_reply(text: str) -> ReplyParts:
    """Split ``text`` into the new text, the quoted history and the signature.

    If nothing new would remain (an empty top-posted reply, a bare forward) the whole
    text stays the body.
    """
    norm = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = norm.split("\n")
    q, q_end = _quote_range(lines)
    head, quoted_lines = lines[:q] + lines[q_end:], lines[q:q_end]
    s = signature_start(head)
    body = "\n".join(head[:s]).strip("\n").rstrip()
    signature = "\n".join(head[s:]).strip("\n").rstrip()
    if not body.strip():
        return ReplyParts(norm.strip("\n").rstrip(), "", "")
    return ReplyParts(body, "\n".join(quoted_lines).strip("\n").rstrip(), signature)
