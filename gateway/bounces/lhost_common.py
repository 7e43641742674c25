"""What the MTA-format readers (lhost_carriers, lhost_servers) share: one recipient as a
format reports it, and the line helpers they read with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Headers = dict[str, str]


@dataclass
class Entry:
    """One recipient as an MTA's own format reports it."""

    recipient: str = ""
    diagnostic: str = ""
    command: str = ""
    status: str = ""
    reason: str = ""  # the MTA's own verdict, "" when its sentences do not give one
    extra: list[str] = field(default_factory=list)  # lines kept when nothing else explains


ADDR = r"([^ <>]+@[^ <>]+)"


def sweep(text: str) -> str:
    return " ".join(text.split())


def cut(text: str, marker: re.Pattern[str]) -> list[str]:
    found = marker.search(text)
    return (text[: found.start()] if found else text).splitlines()


def new_entry(entries: list[Entry]) -> Entry:
    """The entry a new recipient line fills: the current one while it has no recipient
    (lines before the first address belong to it), else a fresh one."""
    if entries and not entries[-1].recipient:
        return entries[-1]
    entries.append(Entry())
    return entries[-1]
