"""Mail text from Jinja templates: `templates/<locale>/<event>.{subject,txt,html}.j2`.

The templates ship inside the package (`gateway/templates/`, package data, so a plain
`pip install` has them). An override folder (`[helpdesk] templates_dir`) laid out the
same way comes first: a file there replaces the shipped file of the same name, and
everything it does not have is taken from the shipped set.

Each locale has its own environment whose loader searches that locale's directory first,
then the default locale's, then "en", so `{% extends "_layout.html.j2" %}` finds the
layout of the mail's own language. An event is rendered in the first locale of
(requested, default, "en") that has all three of its files, never in a mix of languages.
HTML is autoescaped; subjects and plain text are not. Undefined variables raise.

Templates are compiled once and kept: the helpdesk renders a few mails per ticket, and
looking the files up again for each one cost about as much as rendering the simpler ones.
Edits still take effect within seconds: at most every `RECHECK_SECONDS` the newest
modification time under the templates folder is compared with the one the cache was
built from, and a change drops the cache.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

import gateway
from gateway.outgoing.template_env import TemplateEnvironment

PARTS = ("subject", "txt", "html")
FALLBACK_LOCALE = "en"
# How often a renderer looks for edited templates.
RECHECK_SECONDS = 2.0
_LOCALE_RE = re.compile(r"^[a-z]{2,3}$")

_RU_MONTHS = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
_EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def default_templates_dir() -> Path:
    """The `templates/` directory shipped with the product (package data)."""
    return Path(gateway.__file__).resolve().parent / "templates"


def normalize_locale(locale: str | None) -> str | None:
    """'ru_RU.UTF-8', 'ru-RU', 'RU' -> 'ru'; None for empty or unusable values."""
    if not locale:
        return None
    short = re.split(r"[_.\-@]", locale.strip(), maxsplit=1)[0].lower()
    return short if _LOCALE_RE.match(short) else None


class Renderer:
    """Renders an event's subject, plain text and HTML in the recipient's locale."""

    def __init__(
        self,
        templates_dir: Path,
        default_locale: str,
        tz: dt.tzinfo | None = None,
        override_dir: Path | None = None,
    ):
        self.templates_dir = Path(templates_dir)
        self.override_dir = Path(override_dir) if override_dir else None
        # Where templates are looked for, the override folder first.
        self.roots = [p for p in (self.override_dir, self.templates_dir) if p is not None]
        self.default_locale = normalize_locale(default_locale) or FALLBACK_LOCALE
        # Dates are shown in this zone; None means the server's local zone.
        self.tz = tz
        self._envs: dict[str, jinja2.Environment] = {}
        # (event, requested locale) -> the subject, text and HTML templates to use.
        self._found: dict[tuple[str, str | None], tuple[jinja2.Template, ...]] = {}
        self._stamp = self._newest_change()
        self._checked = time.monotonic()

    def _newest_change(self) -> int:
        """The newest modification time of the templates folders or anything in them."""
        newest = 0
        for root in self.roots:
            with contextlib.suppress(OSError):
                newest = max(newest, root.stat().st_mtime_ns)
                for path in root.rglob("*"):
                    with contextlib.suppress(OSError):
                        newest = max(newest, path.stat().st_mtime_ns)
        return newest

    def reload(self) -> None:
        """Forget every compiled template (SIGHUP): the next render reads the files."""
        self._stamp = self._newest_change()
        self._checked = time.monotonic()
        self._found.clear()
        self._envs.clear()

    def has(self, locale: str, name: str) -> bool:
        """Whether template file `name` of `locale` exists in a templates folder."""
        return any((root / locale / name).is_file() for root in self.roots)

    def _drop_if_edited(self) -> None:
        now = time.monotonic()
        if now - self._checked < RECHECK_SECONDS:
            return
        self._checked = now
        stamp = self._newest_change()
        if stamp != self._stamp:
            self._stamp = stamp
            self._found.clear()
            self._envs.clear()

    def locales(self, locale: str | None) -> list[str]:
        """The search order for `locale`, without duplicates."""
        chain: list[str] = []
        for loc in (normalize_locale(locale), self.default_locale, FALLBACK_LOCALE):
            if loc and loc not in chain:
                chain.append(loc)
        return chain

    def render(self, event: str, locale: str | None, **context: Any) -> Rendered:
        """Render `event`; raise jinja2.TemplateNotFound or jinja2.UndefinedError loudly."""
        self._drop_if_edited()
        templates = self._found.get((event, locale))
        if templates is None:
            templates = self._find(event, locale)
            self._found[event, locale] = templates
        subject, text, html = (template.render(**context) for template in templates)
        return Rendered(
            subject=" ".join(subject.split()),
            text=_tidy_text(text),
            html=html.strip() + "\n",
        )

    def _find(self, event: str, locale: str | None) -> tuple[jinja2.Template, ...]:
        """The event's templates in the first locale that has all three of them."""
        if not re.fullmatch(r"[a-z][a-z0-9_]*", event):
            raise ValueError(f"bad event name {event!r}")
        for loc in self.locales(locale):
            if all(self.has(loc, f"{event}.{part}.j2") for part in PARTS):
                env = self._env(loc)
                return tuple(env.get_template(f"{event}.{part}.j2") for part in PARTS)
        raise jinja2.TemplateNotFound(f"{event} (locales {', '.join(self.locales(locale))})")

    def _env(self, locale: str) -> jinja2.Environment:
        env = self._envs.get(locale)
        if env is None:
            search = [str(root / loc) for loc in self.locales(locale) for root in self.roots]
            env = TemplateEnvironment(
                loader=jinja2.FileSystemLoader(search),
                autoescape=jinja2.select_autoescape(
                    enabled_extensions=("html.j2", "html"), default_for_string=False
                ),
                undefined=jinja2.StrictUndefined,
                auto_reload=False,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
            )
            env.filters.update(_filters(locale, self.tz))
            env.globals["locale"] = locale
            self._envs[locale] = env
        return env


def _tidy_text(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, one final newline.

    The signature delimiter "-- " keeps its space: clients recognise it by that.
    """
    lines = [line if line == "-- " else line.rstrip() for line in text.strip("\n").splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).rstrip("\n") + "\n"


def _filters(locale: str, tz: dt.tzinfo | None) -> dict[str, Callable[..., Any]]:
    ru = locale == "ru"

    def datetime(value: dt.datetime | None, fmt: str = "long") -> str:
        """'22 ноября 2026, 10:15 MSK'; fmt 'date' drops the time, 'short' gives digits."""
        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        local = value.astimezone(tz)
        zone = local.tzname() or local.strftime("%z")
        if fmt == "short":
            pattern = "%d.%m.%Y %H:%M" if ru else "%Y-%m-%d %H:%M"
            return f"{local.strftime(pattern)} {zone}"
        months = _RU_MONTHS if ru else _EN_MONTHS
        day = f"{local.day} {months[local.month - 1]} {local.year}"
        return day if fmt == "date" else f"{day}, {local:%H:%M} {zone}"

    def filesize(size: int) -> str:
        """'12 байт', '340 КБ', '1,2 МБ' (binary multiples, as file managers show)."""
        units = ("байт", "КБ", "МБ", "ГБ") if ru else ("bytes", "KB", "MB", "GB")
        value = float(size)
        for unit in units:
            if value < 1024 or unit == units[-1]:
                break
            value /= 1024
        if unit == units[0]:
            return f"{size} {unit}"
        number = f"{value:.1f}" if value < 10 else f"{value:.0f}"
        return f"{number.replace('.', ',') if ru else number} {unit}"

    def plural(n: int, one: str, few: str, many: str | None = None) -> str:
        """Russian three forms (1 файл, 2 файла, 5 файлов); English uses one and few."""
        if not ru:
            return one if n == 1 else few
        if n % 10 == 1 and n % 100 != 11:
            return one
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return few
        return many or few

    return {
        "person": person,
        "datetime": datetime,
        "filesize": filesize,
        "plural": plural,
        "quote": quote,
        "excerpt": excerpt,
        "nl2br": nl2br,
    }


def person(pair: tuple[str, str]) -> str:
    """('Ivan', 'ivan@x') -> 'Ivan <ivan@x>'; the bare address when there is no name."""
    name, email = pair
    return f"{name} <{email}>" if name else email


def quote(text: str, prefix: str = "> ") -> str:
    """Every line prefixed, the way mail clients quote (empty lines get a bare '>')."""
    return "\n".join((prefix + line) if line else prefix.rstrip() for line in text.splitlines())


def excerpt(text: str, lines: int = 10, chars: int = 1000) -> str:
    """The first `lines` lines, at most `chars` characters, with '…' when cut."""
    all_lines = text.strip().splitlines()
    kept = "\n".join(all_lines[:lines])
    cut = len(all_lines) > lines
    if len(kept) > chars:
        kept, cut = kept[:chars].rstrip(), True
    return kept + ("\n…" if cut else "")


def nl2br(text: str) -> Markup:
    """Plain text for HTML: escaped, line breaks kept (Outlook ignores `pre-wrap`)."""
    # Escaped whole rather than line by line (the same text: escaping adds no line breaks).
    escaped = escape(text) if isinstance(text, str) else text
    return Markup("<br>\n".join(escaped.splitlines()))
