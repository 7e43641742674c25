"""Finding the command lines: `#word args` lines at the very top of the mail's new text.

Only the new text counts (quoted history and signatures were split off before), and only
the lines before the first line of other text: a `#` further down is part of the message.
An interleaved reply keeps its quotes in the new text; when it opens with one, the commands
are the first lines after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.parse import leading_quote_end

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
    lead = leading_quote_end(text)
    commands: list[CommandLine] = []
    index = lead
    for index, line in enumerate(lines[lead:], lead):  # noqa: B007 - used after the loop
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
