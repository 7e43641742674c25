"""The sections for what notifications tell agents besides the mail: the FAQ folder and
the suggestions (FAQ articles, similar solved tickets, a learnt category)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FaqSection:
    # Markdown articles, one a file; relative to the config file's folder.
    folder: str = "faq"


@dataclass
class SuggestionsSection:
    # How many FAQ articles and similar solved tickets a new-ticket notice lists (0: none).
    faq: int = 3
    similar: int = 3
    # Cosine similarity (0..1) below which a match is not worth an agent's time.
    min_score: float = 0.15
    # Propose a category learnt from the agents' #category corrections.
    categories: bool = False
    # Set it outright when the classifier is at least this sure.
    auto_assign: bool = False
    auto_assign_confidence: float = 0.8
    # Fewer labelled tickets than this: no proposal yet.
    min_examples: int = 3


def validate_agents_context(faq: FaqSection, s: SuggestionsSection) -> list[str]:
    problems = []
    if not faq.folder:
        problems.append("[faq] folder: must not be empty")
    for key in ("faq", "similar", "min_examples"):
        if getattr(s, key) < 0:
            problems.append(f"[suggestions] {key}: must not be negative")
    for key in ("min_score", "auto_assign_confidence"):
        if not 0.0 <= getattr(s, key) <= 1.0:
            problems.append(f"[suggestions] {key}: must be between 0 and 1")
    return problems
