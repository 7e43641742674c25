"""Reading the FAQ folder: articles parsed from Markdown, cached until a file changes."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

_NAME = re.compile(r"^[\w-]+$")
_TAGS = re.compile(r"^(?:tags|теги)\s*:\s*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Article:
    name: str
    title: str
    tags: tuple[str, ...]
    body: str
    locale: str = ""  # "ru", "en" or "" (any)
    path: str = ""

    @property
    def searchable(self) -> str:
        return f"{self.title}\n{' '.join(self.tags)}\n{self.body}"


@dataclass
class Library:
    """The articles of one folder; `problems` names the files that could not be read."""

    articles: list[Article] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stamp: tuple[tuple[str, int, int], ...] = ()

    def named(self, name: str, locale: str) -> Article | None:
        name = name.strip().lower()
        found = [a for a in self.articles if a.name == name]
        for a in found:
            if a.locale == locale:
                return a
        return next((a for a in found if not a.locale), found[0] if found else None)


def parse(name: str, text: str, locale: str = "", path: str = "") -> Article:
    lines = text.replace("\r\n", "\n").split("\n")
    title = ""
    tags: tuple[str, ...] = ()
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and lines[0].startswith("#"):
        title = lines.pop(0).lstrip("#").strip()
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and (m := _TAGS.match(lines[0].strip())):
        tags = tuple(t.strip().lower() for t in m.group(1).split(",") if t.strip())
        lines.pop(0)
    return Article(name, title or name, tags, "\n".join(lines).strip(), locale, path)


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    try:
        files = sorted(folder.glob("*.md"))
    except OSError:
        return ()
    out = []
    for p in files:
        try:
            st = p.stat()
        except OSError:
            continue
        out.append((p.name, st.st_mtime_ns, st.st_size))
    return tuple(out)


def load(folder: Path) -> Library:
    library = Library(stamp=_stamp(folder))
    for fname, _, _ in library.stamp:
        stem = fname.removesuffix(".md")
        name, _, locale = stem.partition(".")
        if locale not in ("", "ru", "en") or not _NAME.match(name):
            library.problems.append(f"{fname}: name it NAME.md, NAME.ru.md or NAME.en.md")
            continue
        path = folder / fname
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            library.problems.append(f"{fname}: {exc}")
            continue
        library.articles.append(parse(name.lower(), text, locale, str(path)))
    return library


_cache: dict[Path, Library] = {}
_lock = threading.Lock()


def current(folder: Path) -> Library:
    """The folder's articles, read again only when a file was added, changed or removed."""
    with _lock:
        cached = _cache.get(folder)
        if cached is not None and cached.stamp == _stamp(folder):
            return cached
        library = load(folder)
        _cache[folder] = library
        return library
