"""The service-desk sections of the configuration: statuses, criticality, categories,
groups, SLA levels, assignment rules, notifications, attachment limits and ratings.

Kept apart from `gateway.settings.config` (which embeds these dataclasses in `Config`) so that
each module stays small; every key is documented in `config/helpdesk.example.toml`.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from gateway.settings import cron

# "30m", "4h", "2d", "1d 4h": minutes, hours and (business) days.
DURATION_RE = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")
HOURS_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


@dataclass
class TicketsSection:
    # Assignee of last resort (after rules, the category's and the SLA level's assignee).
    default_assignee: str = ""
    # Criticality of a ticket nothing marks otherwise; "" = the middle configured level.
    default_criticality: str = ""
    # A requester's reply this many days after closing reopens; later, a linked new ticket.
    reopen_days: int = 14
    # The status a new ticket moves to on an agent's first answer, and a reopened one gets.
    answer_status: str = "in_progress"
    reopen_status: str = "in_progress"
    # Importance / X-Priority / Priority headers set the criticality.
    priority_headers: bool = True
    # Phrases that make a reply "thanks only" besides the built-in ones.
    thanks_phrases: list[str] = field(default_factory=list)


@dataclass
class StatusEntry:
    name: str = ""
    label_ru: str = ""
    label_en: str = ""
    closed: bool = False
    # The SLA clocks stop while a ticket is in this status (waiting for the requester).
    pauses_sla: bool = False


@dataclass
class CriticalityEntry:
    name: str = ""
    label_ru: str = ""
    label_en: str = ""
    # Words in the subject or text that raise a new ticket to this level.
    keywords: list[str] = field(default_factory=list)


@dataclass
class CategoryEntry:
    name: str = ""
    # Intake addresses whose mail lands in this category.
    addresses: list[str] = field(default_factory=list)
    assignee: str = ""


@dataclass
class GroupEntry:
    name: str = ""
    role: str = "client"
    # Emails, or "@domain" patterns matching a whole domain.
    members: list[str] = field(default_factory=list)


@dataclass
class SlaTarget:
    criticality: str = ""
    response: str = ""
    resolve: str = ""
    # Each later requester mail is to be answered within this ("" : no update clock).
    update: str = ""


@dataclass
class SlaEntry:
    name: str = ""
    # Requesters of these groups get this level; a level without groups is the default.
    groups: list[str] = field(default_factory=list)
    assignee: str = ""
    targets: list[SlaTarget] = field(default_factory=list)
    # "09:00-18:00" counts only business time; "" counts around the clock.
    business_hours: str = ""
    business_days: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])
    holidays: list[str] = field(default_factory=list)
    timezone: str = ""


@dataclass
class RuleEntry:
    name: str = ""
    categories: list[str] = field(default_factory=list)
    criticality: list[str] = field(default_factory=list)
    mailboxes: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    assignee: str = ""


@dataclass
class NotificationsSection:
    confirmation: bool = True
    new_ticket: bool = True
    requester_reply: bool = True
    note: bool = True
    assigned: bool = True
    reassigned: bool = True
    reopened: bool = True
    attachment_refused: bool = True
    denied: bool = True
    # Short notices to the requester when an agent moves the ticket to a status they see.
    status_resolved: bool = True
    status_waiting: bool = True
    status_closed: bool = True


@dataclass
class EscalationSection:
    # Seconds between checks of the SLA clocks; 0 turns escalations off.
    check_seconds: int = 60
    # Fractions of each target at which the assignee is warned.
    warn_at: list[float] = field(default_factory=lambda: [0.75])
    # Who hears of a breach besides the assignee; [] means every admin.
    breach_to: list[str] = field(default_factory=list)


@dataclass
class ReportsSection:
    # When the report mail goes out: a cron expression in `timezone`; "" sends none.
    schedule: str = "0 8 * * 1"
    timezone: str = ""
    # Who gets it; [] means every admin.
    recipients: list[str] = field(default_factory=list)
    # The period the scheduled report covers, in days before it is sent.
    period_days: int = 7


@dataclass
class AttachmentsSection:
    # Limits for mail from anyone who is not an agent; 0 means no limit.
    client_max_bytes: int = 10485760
    client_max_total_bytes: int = 20971520
    # MIME types ("image/*", "application/pdf") or extensions (".docx"); [] allows any.
    client_allowed_types: list[str] = field(default_factory=list)


@dataclass
class RatingEntry:
    label: str = ""


def parse_duration(text: str) -> tuple[int, int, int] | None:
    """'1d 4h' -> (1, 4, 0): days, hours, minutes; None when not a duration."""
    match = DURATION_RE.match(text)
    if not text.strip() or match is None or not any(match.groups()):
        return None
    d, h, m = (int(g or 0) for g in match.groups())
    return d, h, m


def validate_desk(cfg: Any, roles: tuple[str, ...]) -> list[str]:
    """Checks of the service-desk sections; `cfg` is a `gateway.settings.config.Config`."""
    problems: list[str] = []
    status_names = [s.name for s in cfg.statuses]
    level_names = [c.name for c in cfg.criticality]
    group_names = [g.name for g in cfg.groups]
    category_names = [c.name for c in cfg.categories]
    known_categories = category_names + [box.category for box in cfg.imap if box.category]
    _unique(problems, "[[statuses]]", status_names)
    _unique(problems, "[[criticality]]", level_names)
    _unique(problems, "[[categories]]", category_names)
    _unique(problems, "[[groups]]", group_names)
    if cfg.statuses and not any(s.closed and s.name != "spam" for s in cfg.statuses):
        problems.append("[[statuses]]: no closed status other than spam")
    if cfg.statuses and cfg.statuses[0].closed:
        problems.append("[[statuses]] #1: the first status is a new ticket's and cannot be closed")
    t = cfg.tickets
    statuses = status_names or _DEFAULT_STATUS_NAMES
    levels = level_names or ["low", "medium", "high"]
    for key in ("answer_status", "reopen_status"):
        if getattr(t, key) not in statuses:
            problems.append(f"[tickets] {key}: unknown status {getattr(t, key)!r}")
    if t.default_criticality and t.default_criticality not in levels:
        problems.append(f"[tickets] default_criticality: unknown level {t.default_criticality!r}")
    if t.reopen_days < 0:
        problems.append("[tickets] reopen_days: must not be negative")
    _email(problems, "[tickets] default_assignee", t.default_assignee)
    for i, c in enumerate(cfg.categories):
        _email(problems, f"[[categories]] #{i + 1} assignee", c.assignee)
        for a in c.addresses:
            _email(problems, f"[[categories]] #{i + 1} addresses", a)
    for i, g in enumerate(cfg.groups):
        if g.role not in roles:
            problems.append(f"[[groups]] #{i + 1} role: must be one of {', '.join(roles)}")
        for m in g.members:
            if "@" not in m:
                problems.append(f"[[groups]] #{i + 1} members: not an email or @domain: {m!r}")
    for i, s in enumerate(cfg.sla):
        problems += _sla_problems(f"[[sla]] #{i + 1}", s, levels, group_names)
    for i, r in enumerate(cfg.rules):
        where = f"[[rules]] #{i + 1}"
        _known(problems, f"{where} categories", r.categories, known_categories, "category")
        _known(problems, f"{where} criticality", r.criticality, levels, "level")
        _known(problems, f"{where} groups", r.groups, group_names, "group")
        if not r.assignee:
            problems.append(f"{where} assignee: a rule needs an assignee")
        _email(problems, f"{where} assignee", r.assignee)
    for i, rating in enumerate(cfg.ratings):
        if not rating.label.strip():
            problems.append(f"[[ratings]] #{i + 1} label: must not be empty")
    e = cfg.escalation
    if e.check_seconds < 0:
        problems.append("[escalation] check_seconds: must not be negative")
    if any(not 0.0 < f < 1.0 for f in e.warn_at):
        problems.append("[escalation] warn_at: fractions above 0 and below 1")
    for a_ in e.breach_to:
        _email(problems, "[escalation] breach_to", a_)
    rep = cfg.reports
    for a_ in rep.recipients:
        _email(problems, "[reports] recipients", a_)
    if rep.period_days <= 0:
        problems.append("[reports] period_days: must be positive")
    if rep.timezone:
        try:
            zoneinfo.ZoneInfo(rep.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.append(f"[reports] timezone: unknown time zone {rep.timezone!r}")
    if rep.schedule:
        try:
            cron.check(rep.schedule)
        except ValueError as exc:
            problems.append(f"[reports] schedule: not a cron expression: {exc}")
    a = cfg.attachments
    if a.client_max_bytes < 0 or a.client_max_total_bytes < 0:
        problems.append("[attachments]: limits must not be negative")
    return problems


_DEFAULT_STATUS_NAMES = ["new", "accepted", "in_progress", "waiting", "resolved", "closed", "spam"]


def _sla_problems(where: str, s: SlaEntry, levels: list[str], groups: list[str]) -> list[str]:
    problems: list[str] = []
    if not s.name:
        problems.append(f"{where} name: must not be empty")
    _known(problems, f"{where} groups", s.groups, groups, "group")
    _email(problems, f"{where} assignee", s.assignee)
    for j, target in enumerate(s.targets):
        label = f"{where} targets #{j + 1}"
        if target.criticality not in levels:
            problems.append(f"{label} criticality: unknown level {target.criticality!r}")
        for key in ("response", "resolve", "update"):
            value = getattr(target, key)
            if value and parse_duration(value) is None:
                problems.append(f"{label} {key}: not a duration like 30m, 4h, 2d: {value!r}")
    if s.business_hours:
        match = HOURS_RE.match(s.business_hours)
        if match is None or match.group(1, 2) >= match.group(3, 4):
            problems.append(
                f"{where} business_hours: expected HH:MM-HH:MM, not {s.business_hours!r}"
            )
        if not s.business_days or any(d not in range(1, 8) for d in s.business_days):
            problems.append(f"{where} business_days: ISO weekdays 1 (Monday) to 7 (Sunday)")
    for day in s.holidays:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{2}-\d{2}", day):
            problems.append(f"{where} holidays: expected YYYY-MM-DD or MM-DD, not {day!r}")
    if s.timezone:
        try:
            zoneinfo.ZoneInfo(s.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.append(f"{where} timezone: unknown time zone {s.timezone!r}")
    return problems


def _unique(problems: list[str], where: str, names: list[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if not name:
            problems.append(f"{where} #{i + 1} name: must not be empty")
        elif name.lower() in seen:
            problems.append(f"{where} #{i + 1} name: {name!r} is listed twice")
        seen.add(name.lower())


def _known(problems: list[str], where: str, values: list[str], known: list[str], what: str) -> None:
    for value in values:
        if value not in known:
            problems.append(f"{where}: unknown {what} {value!r}")


def _email(problems: list[str], where: str, value: str) -> None:
    if value and "@" not in value:
        problems.append(f"{where}: not an email address: {value!r}")
