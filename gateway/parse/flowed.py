"""format=flowed (RFC 3676): join the soft line breaks of a text/plain body.

Thunderbird, Apple Mail and many phones send plain text as flowed lines: a line that ends
in a space continues in the next one. Left as they are, an agent's answer reaches the
requester cut into 72-column pieces, and a quoted paragraph spans lines that the quote
detection reads one by one. Quoted lines keep their depth ('>' marks); a line's space
stuffing is removed; the signature separator "-- " is never a soft break.
"""

from __future__ import annotations

SIGNATURE_SEPARATOR = "-- "


def unflow(text: str, delsp: bool = False) -> str:
    """The text with each flowed paragraph on one line (quote marks kept)."""
    out: list[str] = []
    depth_of_open = -1  # the quote depth of the paragraph being joined, -1 when none
    joined: list[str] = []

    def close(dangling: bool = False) -> None:
        nonlocal depth_of_open
        if depth_of_open >= 0:
            paragraph = "".join(joined)
            if dangling and paragraph.endswith(" "):
                paragraph = paragraph[:-1]  # its soft break led nowhere
            out.append(_quoted(depth_of_open, paragraph))
        depth_of_open = -1
        joined.clear()

    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space stuffing (or the space after the quote marks)
        soft = content.endswith(" ") and content != SIGNATURE_SEPARATOR
        if depth != depth_of_open:
            close(dangling=True)  # a flowed line before another depth ends its paragraph
            depth_of_open = depth
        joined.append(content[:-1] if soft and delsp else content)
        if not soft:
            close()
    close()
    return "\n".join(out)


def _quoted(depth: int, content: str) -> str:
    return f"{'>' * depth} {content}" if depth else content
