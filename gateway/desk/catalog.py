"""The configured vocabularies — statuses, criticality levels, categories, grades — with the
defaults of a typical IT desk when the configuration lists none."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.desk.errors import InvalidValue
from gateway.settings.config import Config


@dataclass(frozen=True)
class StatusDef:
    name: str
    label_ru: str
    label_en: str
    closed: bool
    # The SLA clocks stop while a ticket is in this status.
    pauses_sla: bool = False

    def label(self, locale: str) -> str:
        return self.label_ru if locale == "ru" else self.label_en


DEFAULT_STATUSES = (
    StatusDef("new", "Новая", "New", False),
    StatusDef("accepted", "Принято к рассмотрению", "Accepted", False),
    StatusDef("in_progress", "В стадии решения", "In progress", False),
    StatusDef("waiting", "Ожидает ответа заявителя", "Waiting for requester", False, True),
    StatusDef("resolved", "Успешно решено", "Resolved", True),
    StatusDef("closed", "Закрыта", "Closed", True),
    StatusDef("spam", "Спам", "Spam", True),
)
DEFAULT_LEVELS = ("low", "medium", "high")
# Keywords of the highest level when the configuration lists no levels.
DEFAULT_URGENT_KEYWORDS = ("срочно", "urgent", "asap", "критично", "не работает ничего")
DEFAULT_RATINGS = {
    "ru": ("Ответ устраивает", "Недостаточно полно", "Ответ не устраивает"),
    "en": ("Satisfied with the answer", "Not complete enough", "Not satisfied"),
}
SPAM = "spam"


def statuses(cfg: Config) -> list[StatusDef]:
    if not cfg.statuses:
        return list(DEFAULT_STATUSES)
    # A list that flags no status keeps the default: "waiting" stops the clocks.
    flagged = any(s.pauses_sla for s in cfg.statuses)
    return [
        StatusDef(
            s.name,
            s.label_ru or s.name,
            s.label_en or s.name,
            s.closed,
            s.pauses_sla if flagged else s.name == "waiting",
        )
        for s in cfg.statuses
    ]


def pauses_sla(cfg: Config, name: str) -> bool:
    found = status_def(cfg, name)
    return found.pauses_sla if found is not None else False


def criticality_levels(cfg: Config) -> list[str]:
    """Level names, lowest first."""
    return [c.name for c in cfg.criticality] or list(DEFAULT_LEVELS)


def level_keywords(cfg: Config) -> dict[str, list[str]]:
    if not cfg.criticality:
        return {DEFAULT_LEVELS[-1]: list(DEFAULT_URGENT_KEYWORDS)}
    return {c.name: list(c.keywords) for c in cfg.criticality if c.keywords}


def categories(cfg: Config) -> list[str]:
    names = [c.name for c in cfg.categories]
    for box in cfg.imap:
        if box.category and box.category not in names:
            names.append(box.category)
    return names


def ratings(cfg: Config) -> list[str]:
    if cfg.ratings:
        return [r.label for r in cfg.ratings]
    return list(DEFAULT_RATINGS.get(cfg.helpdesk.locale, DEFAULT_RATINGS["en"]))


def find_status(cfg: Config, text: str) -> StatusDef:
    """A status by name or Russian/English label, any case; `_`, `-` and spaces alike."""
    wanted = _norm(text)
    every = statuses(cfg)
    for s in every:
        if wanted in (_norm(s.name), _norm(s.label_ru), _norm(s.label_en)):
            return s
    raise InvalidValue("status", text, [s.name for s in every])


def status_def(cfg: Config, name: str) -> StatusDef | None:
    return next((s for s in statuses(cfg) if s.name == name), None)


def initial_status(cfg: Config) -> str:
    return statuses(cfg)[0].name


def closing_status(cfg: Config) -> str:
    """The first closed status that is not spam: where `close` takes a ticket."""
    return next(s.name for s in statuses(cfg) if s.closed and s.name != SPAM)


def is_closed(cfg: Config, name: str) -> bool:
    found = status_def(cfg, name)
    return found.closed if found is not None else name in ("closed", "resolved", SPAM)


def find_level(cfg: Config, text: str) -> str:
    levels = criticality_levels(cfg)
    labels = {c.name: (c.label_ru, c.label_en) for c in cfg.criticality}
    wanted = _norm(text)
    for name in levels:
        if wanted in (_norm(name), *(_norm(x) for x in labels.get(name, ()) if x)):
            return name
    raise InvalidValue("criticality", text, levels)


def find_category(cfg: Config, text: str) -> str:
    names = categories(cfg)
    if not names and text.strip():
        return text.strip()  # no configured list: categories are free text
    wanted = _norm(text)
    for name in names:
        if _norm(name) == wanted:
            return name
    raise InvalidValue("category", text, names)


def default_level(cfg: Config) -> str:
    levels = criticality_levels(cfg)
    return cfg.tickets.default_criticality or levels[(len(levels) - 1) // 2]


def _norm(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").split()).casefold()
