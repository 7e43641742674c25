"""Turn an extracted message into prefixed string features and hash them."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from classifier.message import Extracted, extract

N_FEATURES = 2**20
FEATURES_VERSION = 1  # bump when features change: old models then refuse to load

_WORD = re.compile(r"[^\W_]{2,40}|[$€£¥₽!]")
_MAX_WORDS = 1500  # words of body text featurized; enough to judge, bounded cost
_TWO_LEVEL_SUFFIXES = frozenset("co com net org gov edu ac ne or".split())


@dataclass
class FeatureContext:
    """Facts about the receiving site that change how a message reads."""

    internal_domains: list[str] = field(default_factory=list)

    def is_internal(self, domain: str) -> bool:
        domain = domain.lower()
        return any(domain == d or domain.endswith("." + d) for d in self.internal_domains)


def _norm(word: str) -> str:
    # Digits carry no meaning by value but do by shape (prices, phone numbers, ids).
    if word.isdigit():
        return "#" * min(len(word), 6)
    return word


def words(text: str) -> list[str]:
    return [_norm(w) for w in _WORD.findall(text.lower())]


def registrable(host: str) -> str:
    """example.co.uk and www.example.com -> the owner's domain, without a suffix list."""
    labels = host.strip(".").split(".")
    if len(labels) > 2 and labels[-2] in _TWO_LEVEL_SUFFIXES and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _url_tokens(urls: list[str], sender_domain: str) -> list[str]:
    tokens: list[str] = []
    hosts: set[str] = set()
    for url in dict.fromkeys(urls):
        if url.lower().startswith("www."):
            url = "http://" + url
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            tokens.append("url:malformed")
            continue
        if url.lower().startswith("mailto:"):
            tokens.append("url:mailto")
            continue
        if not host:
            continue
        try:
            ipaddress.ip_address(host)
            tokens.append("url:ip_host")
            continue
        except ValueError:
            pass
        hosts.add(host)
        if "@" in url.split("//", 1)[-1].split("/", 1)[0]:
            tokens.append("url:userinfo")
    own = registrable(sender_domain) if sender_domain else ""
    for host in hosts:
        domain = registrable(host)
        # Newsletters link to their own site; spam sent from throwaway addresses cannot.
        tokens.append("url:own_domain" if domain == own else "url:dom=" + domain)
        tokens.append("url:tld=" + host.rpartition(".")[2])
    n = len(hosts)
    tokens.append("url:n=" + ("0" if n == 0 else "1" if n == 1 else "2-4" if n < 5 else "5+"))
    return tokens


# Word features of a long body would drown the subject and the header signals under
# one l2 norm, so each block is normalized alone and weighted (tuned by cross-validation).
BLOCK_WEIGHTS = {"body": 1.0, "subject": 0.5, "meta": 0.5}


@dataclass
class Blocks:
    """The string features of one message, grouped into separately normalized blocks."""

    body: list[str]
    subject: list[str]
    meta: list[str]

    def all(self) -> list[str]:
        return self.body + self.subject + self.meta


def tokens_of(ex: Extracted, context: FeatureContext | None = None) -> Blocks:
    """All features of one message as strings; each becomes one hashed column."""
    subject = words(ex.subject)
    body = words(ex.text)[:_MAX_WORDS]
    subj = ["s:" + w for w in subject]
    subj += ["s2:" + a + " " + b for a, b in zip(subject, subject[1:], strict=False)]
    text = ["b:" + w for w in body]
    text += ["b2:" + a + " " + b for a, b in zip(body, body[1:], strict=False)]
    meta = _url_tokens(ex.urls, ex.sender_domain) + ex.tokens
    if ex.subject and sum(c.isupper() for c in ex.subject) > 0.5 * len(ex.subject):
        meta.append("s:shouting")
    if not body:
        meta.append("body:empty")
    if context is not None and ex.sender_domain:
        internal = context.is_internal(ex.sender_domain)
        meta.append("from:internal" if internal else "from:external")
    return Blocks(text, subj, meta)


def make_hasher() -> Any:
    """The stateless hasher; imported late because scikit-learn is slow to import."""
    from sklearn.feature_extraction import FeatureHasher

    return FeatureHasher(n_features=N_FEATURES, input_type="string", alternate_sign=False)


def featurize(
    hasher: Any, raws: Iterable[bytes], context: FeatureContext | None = None
) -> tuple[Any, list[Blocks]]:
    """The feature matrix of ``raws`` (CSR, one row each) and their string features."""
    blocks = [tokens_of(extract(raw), context) for raw in raws]
    return vectorize(hasher, blocks), blocks


def vectorize(hasher: Any, blocks: list[Blocks]) -> Any:
    """Hash each block, damp counts with 1+log, l2-normalize per block, sum with weights."""
    import numpy as np
    from sklearn.preprocessing import normalize

    total = None
    for name, weight in BLOCK_WEIGHTS.items():
        matrix = hasher.transform(getattr(b, name) for b in blocks)
        # Spam repeats its pitch; the log keeps ten "free"s from counting as ten words.
        matrix.data = 1.0 + np.log(matrix.data)
        matrix = normalize(matrix, copy=False) * weight
        total = matrix if total is None else total + matrix
    return total.tocsr()
