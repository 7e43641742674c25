"""The spam benches' corpus in memory (raw mail, labels, our feature rows, the stream's
order) and the TF-IDF + logistic-regression baseline they compare with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bench.spam_corpus import EPOCH, clocked, date_of, read, stream_order
from classifier.features import row_from, to_matrix
from classifier.message import extract


@dataclass
class Corpus:
    raws: list[bytes]
    labels: Any  # numpy bool array, True = spam
    texts: list[str]  # subject + body text, the baseline's input
    matrix: Any  # our hashed features, CSR
    dates: list[datetime]  # undated mail on a clock of a minute a message (spam_corpus)
    order: list[int]  # the stream: indexes in Date order
    undated: int
    groups: list[str]  # each message's folder (spam_corpus.Labelled)


def load(corpus: Path, ham: list[Path], spam: list[Path]) -> tuple[Corpus, str]:
    labelled = read(corpus, ham, spam)
    raws = labelled.raws
    extracted = [extract(raw) for raw in raws]
    texts = [ex.subject + "\n" + ex.text for ex in extracted]
    matrix = to_matrix([row_from(ex, raw) for ex, raw in zip(extracted, raws, strict=True)])
    dates = [date_of(raw) for raw in raws]
    order = stream_order(dates)
    undated = sum(d == EPOCH for d in dates)
    loaded = Corpus(
        raws,
        np.array(labelled.labels),
        texts,
        matrix,
        clocked(dates, order),
        order,
        undated,
        labelled.groups,
    )
    return loaded, labelled.layout


def rates(pred: Any, labels: Any) -> str:
    acc = (pred == labels).mean()
    return (
        f"accuracy {acc:7.2%}  spam recall {pred[labels].mean():7.2%}  "
        f"FP rate {pred[~labels].mean():6.2%}  (FP {int((pred & ~labels).sum())}, "
        f"FN {int((~pred & labels).sum())})"
    )


class Baseline:
    """TF-IDF + logistic regression, refit from scratch on every training set."""

    def __init__(self, texts: list[str], labels: Any) -> None:
        self.single: bool | None = None
        if len(set(labels.tolist())) < 2:  # LR needs both classes; predict the one seen
            self.single = bool(labels[0]) if len(labels) else False
            return
        self.vectorizer = TfidfVectorizer(sublinear_tf=True)
        self.lr = LogisticRegression(max_iter=1000)
        self.lr.fit(self.vectorizer.fit_transform(texts), labels)

    def proba(self, texts: list[str]) -> Any:
        if self.single is not None:
            return np.full(len(texts), 1.0 if self.single else 0.0)
        return self.lr.predict_proba(self.vectorizer.transform(texts))[:, 1]
