"""Assignment: `[[rules]]` (first match wins), then the category's, the SLA level's and
the `[tickets]` default assignee; nobody when none of them names one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gateway.desk import sla
from gateway.settings.config import Config
from gateway.settings.desk import RuleEntry


@dataclass
class Facts:
    """What the rules look at in a new ticket."""

    category: str = ""
    criticality: str = ""
    mailbox: str = ""
    addresses: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    sender: str = ""
    subject: str = ""
    body: str = ""

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2].lower()


def _any(wanted: list[str], have: list[str]) -> bool:
    """An empty condition matches everything; otherwise one of `wanted` must be present."""
    return not wanted or bool({w.strip().lower() for w in wanted} & {h.lower() for h in have})


def matches(rule: RuleEntry, facts: Facts) -> bool:
    """Every condition the rule sets must hold; within one condition, any value will do."""
    domains = [d.strip().lower().lstrip("@") for d in rule.domains]
    text = f"{facts.subject}\n{facts.body}".casefold()
    return (
        _any(rule.categories, [facts.category])
        and _any(rule.criticality, [facts.criticality])
        and _any(rule.mailboxes, [facts.mailbox])
        and _any(rule.addresses, facts.addresses)
        and _any(rule.groups, facts.groups)
        and (not domains or facts.domain in domains)
        and (
            not rule.keywords
            or any(
                re.search(r"(?<!\w)" + re.escape(k.casefold()), text)
                for k in rule.keywords
                if k.strip()
            )
        )
    )


def choose_assignee(cfg: Config, facts: Facts) -> tuple[str, str]:
    """(assignee email or "", why) for a new ticket."""
    for i, rule in enumerate(cfg.rules):
        if matches(rule, facts):
            return rule.assignee.lower(), f"rule {rule.name or '#' + str(i + 1)}"
    category = next((c for c in cfg.categories if c.name == facts.category), None)
    if category is not None and category.assignee:
        return category.assignee.lower(), f"category {category.name}"
    level = sla.level_for(cfg, facts.groups)
    if level is not None and level.assignee:
        return level.assignee.lower(), f"SLA level {level.name}"
    if cfg.tickets.default_assignee:
        return cfg.tickets.default_assignee.lower(), "default assignee"
    return "", "no rule, category, SLA level or default names an assignee"
