"""The CLI's tables, drawn as rich draws its default one (a heavy head, light rows).

Drawn here rather than by rich: importing rich and laying out a page of 50 tickets cost
`helpdesk tickets list` 0.1-0.15 s of CPU, a fifth of the call; this costs a millisecond.
Cells are plain text (rich would read `[bold]` in a subject as markup and drop it). At a
terminal the widest columns are cut with an ellipsis until the table fits; piped or
redirected, nothing is cut.
"""

from __future__ import annotations

import shutil
import sys
import unicodedata
from collections.abc import Sequence

ELLIPSIS = "…"


def width(text: str) -> int:
    """Terminal cells of `text`: wide East Asian characters take two, combining marks none."""
    if text.isascii():
        return len(text)
    cells = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        cells += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return cells


def _cut(text: str, cells: int) -> str:
    """`text` in at most `cells` cells, ending in an ellipsis when cut."""
    if width(text) <= cells:
        return text
    kept = ""
    for char in text:
        if width(kept + char) > cells - 1:
            break
        kept += char
    return kept + ELLIPSIS


def _pad(text: str, cells: int) -> str:
    return text + " " * (cells - width(text))


def _fit(widths: list[int], floors: list[int], room: int) -> list[int]:
    """Narrow the widest columns, one cell at a time, until the table fits `room` cells
    (each column keeps at least its floor)."""
    widths = list(widths)
    # Each column's borders and padding: "│ " before it, " " after, one "│" at the end.
    while sum(widths) + 3 * len(widths) + 1 > room:
        wide = max(range(len(widths)), key=lambda i: widths[i] - floors[i])
        if widths[wide] <= floors[wide]:
            break
        widths[wide] -= 1
    return widths


def render(
    columns: Sequence[str], rows: Sequence[Sequence[str]], title: str = "", room: int | None = None
) -> str:
    """The table's lines; `room`: the cells a line may take (None: unlimited)."""
    widths = [max([width(c), *(width(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    if room is not None:
        floors = [min(w, max(width(c), 3)) for w, c in zip(widths, columns, strict=True)]
        widths = _fit(widths, floors, room)

    def line(left: str, fill: str, middle: str, right: str) -> str:
        return left + middle.join(fill * (w + 2) for w in widths) + right

    def cells(values: Sequence[str], bar: str) -> str:
        parts = (_pad(_cut(v, w), w) for v, w in zip(values, widths, strict=True))
        return bar + bar.join(f" {p} " for p in parts) + bar

    top = line("┏", "━", "┳", "┓")
    out = [title.center(width(top)).rstrip()] if title else []
    out += [top, cells(columns, "┃"), line("┡", "━", "╇", "┩")]
    out += [cells(row, "│") for row in rows]
    out.append(line("└", "─", "┴", "┘"))
    return "\n".join(out) + "\n"


def terminal_room() -> int | None:
    """The terminal's width if stdout is one, else None (nobody's terminal to fit)."""
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns
