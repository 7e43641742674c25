"""Finding FAQ articles by words: the same character n-gram cosine similarity as similar
tickets (gateway.similar), over the articles' titles, tags and bodies."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.faq.articles import Article, Library
from gateway.similar.index import Index


@dataclass(frozen=True)
class Match:
    article: Article
    score: float


_indexes: dict[int, tuple[Library, Index]] = {}


def _index(library: Library) -> Index:
    key = id(library)
    cached = _indexes.get(key)
    if cached is None or cached[0] is not library:
        index = Index("faq")
        index.add([(i, "", a.searchable, "") for i, a in enumerate(library.articles)])
        _indexes.clear()  # one folder's index per process is all there is
        _indexes[key] = (library, index)
        return index
    return cached[1]


def best(library: Library, words: str, k: int, min_score: float, locale: str = "") -> list[Match]:
    """Up to `k` articles for `words`, best first; an article in the reader's locale wins
    over the same article in the other one."""
    if not library.articles or k <= 0:
        return []
    hits = _index(library).query(words, k * 2)
    out: list[Match] = []
    names: set[str] = set()
    ranked = sorted(
        (h for h in hits if h.score >= min_score),
        key=lambda h: (-h.score, library.articles[h.ticket_id].locale not in ("", locale)),
    )
    for h in ranked:
        article = library.articles[h.ticket_id]
        if article.name in names:
            continue
        if article.locale and locale and article.locale != locale:
            twin = library.named(article.name, locale)
            article = twin or article
        names.add(article.name)
        out.append(Match(article, h.score))
        if len(out) >= k:
            break
    return out
