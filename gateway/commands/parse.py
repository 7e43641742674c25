"""Finding the command lines: `#word args` lines at the very top of the mail's new text.

Only the new text counts (quoted history and signatures were split off before), and only
the lines before the first line of other text: a `#` further down is part of the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "#assign bob@x", "#закрыть спасибо", "# note" is not a command (a markdown heading).
_COMMAND = re.compile(r"^\\?#(?P<name>[^\W\d_][\w-]*)(?:[ \t]+(?P<arg>.*?))?\s*$", re.UNICODE)


@dataclass(frozen=True)
class CommandLine:
    name: str  # lowercased, as written (aliases resolved later)
    arg: str  # the rest of the line, stripped
    line: str  # the line as written, for receipts


def split_commands(text: str) -> tuple[list[CommandLine], str]:
    """The leading command lines of `text` and the rest of it (the message)."""
    lines = text.replace("\r\n", "\n").split("\n")
    commands: list[CommandLine] = []
    index = 0
    for index, line in enumerate(lines):  # noqa: B007 - index is used after the loop
        stripped = line.strip().replace("\u00a0", " ")
        if not stripped:
            continue
        match = _COMMAND.match(stripped)
        if match is None:
            break
        commands.append(CommandLine(match["name"].lower(), (match["arg"] or "").strip(), stripped))
    else:
        index = len(lines)
    rest = "\n".join(lines[index:]).strip("\n") if commands else text
    return commands, rest
