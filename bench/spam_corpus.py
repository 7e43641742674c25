"""Labelled mail for bench/spam.py, from the layouts public spam corpora come in.

- the SpamAssassin public corpus: `easy-ham-1`, `easy-ham-2`, `hard-ham-1` (ham) and
  `spam-1`, `spam-2` (spam) below the folder;
- a TREC spam-track corpus: an `index` (or `full/index`) file of lines `spam PATH` /
  `ham PATH`, paths relative to the index file;
- a folder with `ham` and `spam` folders (Enron-Spam, and most others);
- or explicit `--ham PATH` / `--spam PATH` options (Maildir, mbox or folder, repeatable).

The stream order of the online run is the `Date` order; mail without a usable Date (some
corpora carry none) is interleaved at random, with a fixed seed, before the dated mail,
and is given a clock of one message a minute, so that lessons with a delay (an answer
after hours) still come due in a corpus without dates.
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from classifier import iter_messages
from classifier.message import parse

SA_HAM = ("easy-ham-1", "easy-ham-2", "hard-ham-1")
SA_SPAM = ("spam-1", "spam-2")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Labelled:
    raws: list[bytes]
    labels: list[bool]  # True = spam
    layout: str
    groups: list[str]  # where each message came from: its folder's name, or "ham"/"spam"


def _trec(index: Path) -> Iterator[tuple[bytes, bool, str]]:
    for line in index.read_text(errors="replace").splitlines():
        label, _, rel = line.strip().partition(" ")
        if label.lower() in ("spam", "ham") and rel:
            is_spam = label.lower() == "spam"
            yield (index.parent / rel.strip()).read_bytes(), is_spam, label.lower()


def _folders(ham: list[Path], spam: list[Path]) -> Iterator[tuple[bytes, bool, str]]:
    for paths, is_spam in ((ham, False), (spam, True)):
        for path in paths:
            for raw in iter_messages(path):
                yield raw, is_spam, path.name


def read(corpus: Path, ham: list[Path], spam: list[Path]) -> Labelled:
    """The labelled messages of ``corpus`` (or of the explicit ham/spam paths)."""
    if ham or spam:
        items, layout = _folders(ham, spam), "--ham/--spam paths"
    elif all((corpus / name).is_dir() for name in SA_HAM + SA_SPAM):
        items = _folders([corpus / n for n in SA_HAM], [corpus / n for n in SA_SPAM])
        layout = "SpamAssassin folders"
    elif (corpus / "index").is_file() or (corpus / "full" / "index").is_file():
        index = corpus / "index" if (corpus / "index").is_file() else corpus / "full" / "index"
        items, layout = _trec(index), f"TREC index {index}"
    elif (corpus / "ham").is_dir() and (corpus / "spam").is_dir():
        items, layout = _folders([corpus / "ham"], [corpus / "spam"]), "ham/ and spam/ folders"
    else:
        raise SystemExit(f"{corpus}: no known corpus layout (see bench/spam_corpus.py)")
    raws: list[bytes] = []
    labels: list[bool] = []
    groups: list[str] = []
    for raw, is_spam, group in items:
        raws.append(raw)
        labels.append(is_spam)
        groups.append(group)
    if not raws or all(labels) or not any(labels):
        raise SystemExit(f"{corpus}: both ham and spam are needed ({len(raws)} messages read)")
    return Labelled(raws, labels, layout, groups)


def date_of(raw: bytes) -> datetime:
    try:
        value = email.utils.parsedate_to_datetime(str(parse(raw).get("Date")))
    except (TypeError, ValueError, IndexError):
        return EPOCH
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def stream_order(dates: list[datetime]) -> list[int]:
    """Indexes in Date order; ties (and undated mail, all at EPOCH) in a seeded shuffle."""
    rank = np.random.default_rng(0).permutation(len(dates))
    return sorted(range(len(dates)), key=lambda i: (dates[i], int(rank[i])))


def clocked(dates: list[datetime], order: list[int]) -> list[datetime]:
    """``dates`` with the undated (EPOCH) ones a minute apart in stream ``order``."""
    out = list(dates)
    undated = (i for i in order if dates[i] == EPOCH)
    for minute, i in enumerate(undated):
        out[i] = EPOCH + timedelta(minutes=minute)
    return out
