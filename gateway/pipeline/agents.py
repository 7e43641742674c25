"""What a staff notice tells the agent besides the mail: the requester's client card and,
for a new ticket, suggestions — FAQ articles, similar solved tickets, a learnt category
(which `[suggestions] auto_assign` may set outright)."""

from __future__ import annotations

import logging
from typing import Any

from gateway.desk import catalog
from gateway.directory.card import card
from gateway.faq import articles, search
from gateway.pipeline.context import Context
from gateway.similar import categories, solved
from gateway.store import tickets

log = logging.getLogger(__name__)
CLASSIFIER = "classifier"


def card_context(ctx: Context) -> dict[str, Any]:
    ticket = ctx.ticket
    assert ticket is not None
    prefix = ctx.services.cfg.helpdesk.tag_prefix
    return card(ctx.session, ticket.requester, ticket, prefix)


def _category(ctx: Context, text: str) -> tuple[str, bool]:
    """(proposed category, whether it was set) — ("", False) when there is none."""
    cfg, ticket = ctx.services.cfg, ctx.ticket
    assert ticket is not None
    s = cfg.suggestions
    if not s.categories or ticket.category:
        return "", False
    found = categories.guess(ctx.session, cfg.database_url, text, s.min_examples, s.min_score)
    if found is None or catalog.find_category(cfg, found.category) != found.category:
        return "", False  # nothing learnt yet, or a category the config no longer has
    ctx.note(f"suggest: category {found.category} ({found.confidence:.2f})")
    if s.auto_assign and found.confidence >= s.auto_assign_confidence:
        tickets.add_event(
            ctx.session, ticket, "category", actor=CLASSIFIER, old="", new=found.category
        )
        ticket.category = found.category
        return found.category, True
    return found.category, False


def suggestions(ctx: Context) -> dict[str, Any]:
    """FAQ articles, similar solved tickets and a category for a new ticket."""
    cfg, ticket = ctx.services.cfg, ctx.ticket
    assert ticket is not None
    s = cfg.suggestions
    text = f"{ticket.subject}\n{ctx.body if ctx.body is not None else ctx.mail.body}"
    locale = ticket.requester.locale or cfg.helpdesk.locale
    library = articles.current(cfg.path(cfg.faq.folder))
    faq = [
        {"name": m.article.name, "title": m.article.title, "score": round(m.score, 3)}
        for m in search.best(library, text, s.faq, s.min_score, locale)
    ]
    similar = solved.similar(
        ctx.session,
        cfg.database_url,
        cfg.helpdesk.tag_prefix,
        text,
        s.similar,
        s.min_score,
        exclude=ticket.id,
    )
    category, category_set = _category(ctx, text)
    if faq or similar:
        ctx.note(f"suggest: {len(faq)} FAQ article(s), {len(similar)} similar ticket(s)")
    return {
        "faq": faq,
        "similar": similar,
        "category": category,
        "category_set": category_set,
    }
