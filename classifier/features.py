"""Turn a message into hashed features: prefixed word and header tokens, raw byte grams.

Two blocks of columns: the first N_WORDS hold the tokens of tokens_of (words, subject,
URLs, header facts), the next N_GRAMS the byte 4-grams of the raw message (ngrams).
Each block is normalized alone, so neither drowns the other.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from classifier import ngrams
from classifier.links import anchor_tokens, url_tokens
from classifier.message import Extracted, extract
from classifier.ngrams import N_GRAMS

N_WORDS = 2**20
N_FEATURES = N_WORDS + N_GRAMS
# Bump when features change: old models then refuse to load and are rebuilt from the
# learning log (gateway.spam.rebuild). 5: HTML tags and attributes in a block of their own.
# 6: no grams of mailing-list headers, header grams capped and without signature blobs, one
# header-name token per vendor family. 7: a block of rare anomalies (ANOMALIES), 8-bit text
# without its charset, raw 8-bit headers, mojibake, a body in capitals, a Reply-To at a
# free-mail provider, a reply that answers nothing; the markup block at 0.1.
FEATURES_VERSION = 7
# The raw-gram block's weight beside the token blocks' (tuned by cross-validation and
# the online run of bench/spam.py: 1.0 with the token blocks' own weights below).
GRAM_WEIGHT = 1.0

# One "!" ends a friendly greeting in any Russian letter ("Добрый день!"); runs of them
# are the pitch. A lone "!" is no token, a run is "!!".
_WORD = re.compile(r"[^\W_]{2,40}|[$€£¥₽]|!{2,}")
# The same on ASCII text, where a letter or digit is [a-z0-9] once lower-cased: a set of
# bytes the regex engine tests at once, not a Unicode category looked up per character.
_ASCII_WORD = re.compile(r"[a-z0-9]{2,40}|\$|!{2,}")
_MAX_WORDS = 1500  # words of body text featurized; enough to judge, bounded cost


@dataclass
class FeatureContext:
    """Facts about the receiving site that change how a message reads."""

    internal_domains: list[str] = field(default_factory=list)
    # The receiving server whose SpamAssassin/rspamd scores are features (upstream).
    trusted_authserv_id: str = ""

    def is_internal(self, domain: str) -> bool:
        domain = domain.lower()
        return any(domain == d or domain.endswith("." + d) for d in self.internal_domains)


def words(text: str) -> list[str]:
    # Digits carry no meaning by value but do by shape (prices, phone numbers, ids); a run
    # of "!" is "!!" (the only match that starts with one). Inline, not a call per word.
    lower = text.lower()
    found = (_ASCII_WORD if lower.isascii() else _WORD).findall(lower)
    return [("#" * min(len(w), 6) if w.isdigit() else "!!" if w[0] == "!" else w) for w in found]


# Word features of a long body would drown the subject and the header signals under
# one l2 norm, so each block is normalized alone and weighted (tuned by cross-validation).
# The markup block (which tags and attributes the HTML uses) at a quarter: in one block
# with the header facts, `tag:a`/`attr:img.src` carried most of the score of the HTML
# newsletters a model learnt on plain-text ham called spam (bench/spam.py --cross: the
# hard ham; at 0.25 recall learning 2003 and judging 2002 rose from 86.8% to 91.4%).
# At 0.1 rather than 0.25, with the anomalies block, the online run's corrections fell
# from 81 to 76 (bench/spam.py --online-only; 83 with the markup at 0.1 alone, 79 at
# 0.15): the commercial newsletters among the ham are HTML, and so is much spam.
# The anomalies block: signals rare in wanted mail of any corpus, normalized alone so
# that one of them is not one token among the sixty of the header facts.
BLOCK_WEIGHTS = {"body": 1.0, "subject": 0.5, "meta": 0.5, "markup": 0.1, "anomalies": 0.3}
# The sig: tokens (signals) of the anomalies block: each seen in a handful of the 4,150
# SpamAssassin ham at most. The common ones (Date skew buckets, a malformed Message-ID,
# 8-bit text without a charset, an encoded From) stay header facts: in a block of their
# own, the date buckets alone took learning 2003 and judging 2002 to 6% FP. So does a raw
# 8-bit Subject: six 2002 ham have one (a thread), and here it held two of them.
ANOMALIES = (
    "sig:8bit_as_ascii",
    "sig:mojibake",
    "sig:body_caps",
    "sig:from_raw_8bit",
    "sig:date_future",
    "sig:msgid_short",
    "sig:from_malformed",
    "sig:mime_without_version",
    "sig:subject_encoded",
    "sig:from_name_other_address",
    "sig:reply_to_freemail",
)


@dataclass
class Blocks:
    """The string features of one message, grouped into separately normalized blocks."""

    body: list[str]
    subject: list[str]
    meta: list[str]
    markup: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return self.body + self.subject + self.meta + self.markup + self.anomalies


def tokens_of(ex: Extracted, context: FeatureContext | None = None) -> Blocks:
    """All features of one message as strings; each becomes one hashed column."""
    subject = words(ex.subject)
    body = words(ex.text)[:_MAX_WORDS]
    subj = ["s:" + w for w in subject]
    subj += [f"s2:{a} {b}" for a, b in itertools.pairwise(subject)]
    text = ["b:" + w for w in body]
    text += [f"b2:{a} {b}" for a, b in itertools.pairwise(body)]
    meta = url_tokens(ex.urls, ex.sender_domain) + anchor_tokens(ex.anchors)
    anomalies: list[str] = []
    for token in ex.tokens:
        (anomalies if token.startswith(ANOMALIES) else meta).append(token)
    if ex.subject and sum(c.isupper() for c in ex.subject) > 0.5 * len(ex.subject):
        meta.append("s:shouting")
    if not body:
        meta.append("body:empty")
    if context is not None and ex.sender_domain:
        internal = context.is_internal(ex.sender_domain)
        meta.append("from:internal" if internal else "from:external")
    return Blocks(text, subj, meta, list(ex.markup), anomalies)


@dataclass
class Row:
    """One message's hashed features: columns, values, and the features behind them.

    The first ``len(names)`` columns are named tokens; the rest are raw grams, named
    from ``codes`` only when a score explains itself (naming them all costs time).
    """

    columns: Any  # numpy int array
    values: Any  # numpy float array
    names: list[str]
    codes: Any = None  # numpy uint32 array: the gram of each column after the names

    def name(self, i: int) -> str:
        """The feature behind column ``i`` of this row."""
        if i < len(self.names):
            return self.names[i]
        return ngrams.name_of(int(self.codes[i - len(self.names)]))


def hash_row(blocks: Blocks) -> Row:
    """Hash each block, damp counts with 1+log, l2-normalize per block, weight.

    Hashing is done here with murmurhash3 rather than through FeatureHasher: the
    estimator-API validation costs more than the hashing itself when scoring one message
    at a time, and keeping the names lets a score explain itself.
    """
    import numpy as np
    from sklearn.utils import murmurhash3_32

    columns: list[int] = []
    values: list[Any] = []
    names: list[str] = []
    for name, weight in BLOCK_WEIGHTS.items():
        tokens = getattr(blocks, name)
        counts = Counter(tokens)
        if not counts:
            continue
        if len(counts) == len(tokens):
            # No token twice (most header and markup blocks): every damped count is 1.0,
            # the norm sqrt(n), exactly what the arrays below would compute, without them.
            values.append(np.full(len(counts), weight / math.sqrt(len(counts))))
        else:
            # Spam repeats its pitch; the log keeps ten "free"s from counting as ten words.
            damped = 1.0 + np.log(np.fromiter(counts.values(), float, len(counts)))
            values.append(damped * (weight / float(np.sqrt((damped**2).sum()))))
        names.extend(counts)
        columns.extend(murmurhash3_32(t, positive=True) % N_WORDS for t in counts)
    if not names:
        return Row(np.zeros(0, np.int64), np.zeros(0), [])
    return Row(np.asarray(columns, np.int64), np.concatenate(values), names)


def with_grams(row: Row, raw: bytes) -> Row:
    """``row`` with the binary, l2-normalized byte 4-grams of ``raw`` appended."""
    import numpy as np

    codes = ngrams.gram_codes(ngrams.prefix(raw))
    if not len(codes):
        return row
    value = GRAM_WEIGHT / float(np.sqrt(len(codes)))
    return Row(
        np.concatenate([row.columns, N_WORDS + ngrams.columns_of(codes)]),
        np.concatenate([row.values, np.full(len(codes), value)]),
        row.names,
        codes,
    )


def row_from(ex: Extracted, raw: bytes, context: FeatureContext | None = None) -> Row:
    """All features of a message already extracted from ``raw``."""
    return with_grams(hash_row(tokens_of(ex, context)), raw)


def row_of(raw: bytes, context: FeatureContext | None = None) -> Row:
    """Parse, extract and hash one raw message."""
    trusted = context.trusted_authserv_id if context is not None else ""
    return row_from(extract(raw, trusted), raw, context)


def to_matrix(rows: list[Row]) -> Any:
    """Stack rows into a CSR matrix for the learner (colliding columns are summed)."""
    import numpy as np
    import scipy.sparse as sp

    indptr = np.cumsum([0] + [len(r.columns) for r in rows])
    columns = np.concatenate([r.columns for r in rows]) if rows else np.zeros(0, np.int64)
    values = np.concatenate([r.values for r in rows]) if rows else np.zeros(0)
    matrix = sp.csr_matrix((values, columns, indptr), shape=(len(rows), N_FEATURES))
    matrix.sum_duplicates()
    return matrix
