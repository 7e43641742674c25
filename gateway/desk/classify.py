"""What a new mail is about: its category (by intake address or IMAP mailbox) and its
criticality (by the sender's priority headers and configured keywords)."""

from __future__ import annotations

import functools
import re

from gateway.addresses import split_address
from gateway.desk.catalog import criticality_levels, default_level, level_keywords
from gateway.settings.config import Config


def intake_addresses(rcpt_to: list[str], headers: list[str]) -> list[str]:
    """The addresses the mail was sent to, `+detail` removed, lower case, envelope first."""
    found: dict[str, None] = {}  # ordered, and a lookup that stays flat with 2,000 Cc
    for address in [*rcpt_to, *headers]:
        base, _, domain = split_address(address)
        if domain:
            found.setdefault(f"{base}@{domain}")
    return list(found)


def category_for(cfg: Config, addresses: list[str], mailbox_category: str) -> str:
    """The first `[[categories]]` entry listing one of `addresses`; else the mailbox's."""
    for category in cfg.categories:
        routes = {a.strip().lower() for a in category.addresses}
        if routes & set(addresses):
            return category.name
    return mailbox_category


def _header_hint(headers: dict[str, str]) -> int:
    """+1 when the sender marked the mail important, -1 when unimportant, 0 otherwise."""
    importance = headers.get("importance", "").strip().lower()
    x_priority = headers.get("x-priority", "").strip()[:1]
    ms = headers.get("x-msmail-priority", "").strip().lower()
    priority = headers.get("priority", "").strip().lower()
    if importance == "high" or x_priority in ("1", "2") or ms == "high" or priority == "urgent":
        return 1
    if importance == "low" or x_priority in ("4", "5") or ms == "low" or priority == "non-urgent":
        return -1
    return 0


def keyword_level(cfg: Config, text: str) -> str | None:
    """The highest level one of whose keywords starts a word of `text`."""
    lowered = text.casefold()
    levels = criticality_levels(cfg)
    best: str | None = None
    for level, words in level_keywords(cfg).items():
        pattern = _starts_a_word(tuple(words))
        found = pattern is not None and pattern.search(lowered) is not None
        if found and (best is None or levels.index(level) > levels.index(best)):
            best = level
    return best


@functools.lru_cache(maxsize=64)
def _starts_a_word(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for a level's keywords, compiled once (every new ticket is searched
    with each level's; a reloaded config's new words get patterns of their own)."""
    found = [re.escape(word.casefold()) for word in words if word.strip()]
    return re.compile(r"(?<!\w)(?:" + "|".join(found) + ")") if found else None


def criticality_for(cfg: Config, headers: dict[str, str], subject: str, body: str) -> str:
    """Keywords and "important" headers raise the level; "unimportant" ones lower it only
    when nothing raises it; otherwise the default level."""
    levels = criticality_levels(cfg)
    hint = _header_hint(headers) if cfg.tickets.priority_headers else 0
    raised = keyword_level(cfg, f"{subject}\n{body}")
    if hint > 0:
        raised = levels[-1]
    if raised is not None:
        return raised
    return levels[0] if hint < 0 else default_level(cfg)
