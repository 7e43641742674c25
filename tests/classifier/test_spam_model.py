"""SpamModel: learning, scoring, cold start, corrections, robustness."""

from __future__ import annotations

import math
import random
import time
from email.message import EmailMessage

from classifier import FeatureContext, SpamModel, evaluate
from classifier.features import tokens_of
from classifier.message import extract


def make_mail(subject: str, body: str, sender: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@example.com", subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


SPAM = make_mail(
    "WINNER!!! Claim your FREE prize now",
    "Congratulations!!! You are the winner of our lottery. Click http://10.1.2.3/claim "
    "to claim your $1,000,000 prize NOW! Limited time offer, act now!!!",
    "lucky@prizes-online.biz",
)
HAM_EN = make_mail(
    "Cannot print to the office printer",
    "Hello, my laptop cannot find the printer in room 210 since this morning. "
    "Could you please help? Thanks, Olga",
    "olga@corp.example.com",
)
HAM_RU = make_mail(
    "Не печатает принтер в кабинете",
    "Добрый день! Мой ноутбук не видит принтер в кабинете 210 с утра. "
    "Помогите, пожалуйста. Спасибо, Ольга",
    "olga@corp.example.com",
)


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def test_obvious_spam_high_it_requests_low(trained_model: SpamModel) -> None:
    spam = trained_model.score(SPAM)
    assert spam.label == "spam" and spam.probability > 0.8
    assert spam.top_features and all(isinstance(w, float) for _, w in spam.top_features)
    for ham in (HAM_EN, HAM_RU):
        score = trained_model.score(ham)
        assert score.label == "ham" and score.probability < 0.3, score


def test_cold_start_is_untrained_and_neutral() -> None:
    model = SpamModel.new()
    assert not model.trained and model.counts == {"ham": 0, "spam": 0} and model.version == 0
    score = model.score(SPAM)
    assert (score.probability, score.label) == (0.5, "ham")
    model.learn(SPAM, True)
    model.learn(HAM_EN, False)
    assert not model.trained and model.counts == {"ham": 1, "spam": 1} and model.version == 2


def test_trained_after_enough_of_both(trained_model: SpamModel) -> None:
    assert trained_model.trained
    assert trained_model.counts["ham"] >= 10 and trained_model.counts["spam"] >= 10


def test_one_correction_moves_a_near_duplicate(trained_model: SpamModel) -> None:
    model = SpamModel.loads(trained_model.dumps())  # a private copy
    pitch = (
        "Dear colleague, our crypto staking platform pays {n}% monthly. Register at "
        "http://stake-{n}.example-coin.net and send your deposit to wallet {n}."
    )
    first = make_mail(f"Staking offer {17}", pitch.format(n=17), "team@coin17.example.net")
    near = make_mail(f"Staking offer {23}", pitch.format(n=23), "team@coin23.example.net")
    before = _logit(model.score(near).probability)
    model.learn(first, True)
    after = _logit(model.score(near).probability)
    assert model.score(first).label == "spam"  # the correction sticks at once
    assert after > before + 1.0, (before, after)


def test_learning_ham_lowers_a_near_duplicate(trained_model: SpamModel) -> None:
    model = SpamModel.loads(trained_model.dumps())
    text = "FREE upgrade!!! Click http://portal.corp.example.com/upgrade {n} NOW to claim it!!!"
    first = make_mail("Upgrade now!!!", text.format(n=1), "it@corp.example.com")
    near = make_mail("Upgrade now!!!", text.format(n=2), "it@corp.example.com")
    before = _logit(model.score(near).probability)
    model.learn(first, False)
    assert model.score(first).label == "ham"
    assert _logit(model.score(near).probability) < before - 1.0


def test_bogus_charsets_and_garbage_score_without_error(trained_model: SpamModel) -> None:
    bogus = (
        b"From: x@example.org\r\nSubject: =?DEFAULT_CHARSET?Q?caf=E9?=\r\n"
        b"Content-Type: text/plain; charset=unknown-8bit\r\n\r\ncaf\xe9 \xff\xfe text\r\n"
    )
    multipart = (
        b"From: y@example.org\r\nSubject: test\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/html; charset=CHINESEBIG5\r\nContent-Transfer-Encoding: base64\r\n"
        b"\r\n!!!not base64!!!\r\n--b--\r\n"
    )
    rng = random.Random(4)
    garbage = bytes(rng.randrange(256) for _ in range(3000))
    for raw in (bogus, multipart, garbage, b"", b"\x00\x01", b"Subject: only a header"):
        score = trained_model.score(raw)
        assert 0.0 <= score.probability <= 1.0


def test_filter_verdict_headers_are_ignored(trained_model: SpamModel) -> None:
    plain = make_mail("Printer", "The printer is jammed again.", "a@corp.example.com")
    tagged = make_mail(
        "Printer",
        "The printer is jammed again.",
        "a@corp.example.com",
        X_Spam_Status="Yes, score=15.2",
        X_Spam_Flag="YES",
        X_Virus_Scanned="clamav",
    )
    assert trained_model.score(plain).probability == trained_model.score(tagged).probability


def test_internal_sender_is_a_feature() -> None:
    context = FeatureContext(internal_domains=["corp.example.com"])
    assert "from:internal" in tokens_of(extract(HAM_EN), context).meta
    assert "from:external" in tokens_of(extract(SPAM), context).meta
    assert not any(t.startswith("from:int") for t in tokens_of(extract(SPAM)).meta)


def test_html_features() -> None:
    raw = make_mail("x", "y", "a@b.example")
    html = (
        b"From: a@b.example\r\nSubject: offer\r\nContent-Type: text/html\r\n\r\n"
        b'<html><body><font color="#ffffff">hidden words</font>'
        b'<a href="http://1.2.3.4/x"><img src="http://cdn.example/a.gif"></a></body></html>'
    )
    blocks = tokens_of(extract(html))
    meta = blocks.meta
    for token in ("body:html_only", "html:color=#ffffff", "url:ip_host"):
        assert token in meta
    assert "html:image_only" in meta
    # Which tags and attributes are used is a block of its own, weighted low.
    assert {"tag:font", "attr:font.color", "tag:img", "attr:img.src"} <= set(blocks.markup)
    assert not [t for t in meta if t.startswith(("tag:", "attr:"))]
    assert "body:html_only" not in tokens_of(extract(raw)).meta


def test_learn_many_reports_progress_and_evaluate(trained_model: SpamModel) -> None:
    seen: list[int] = []
    model = SpamModel.new()
    model.learn_many([(HAM_EN, False), (SPAM, True)], progress=seen.append)
    assert seen == [2] and model.counts == {"ham": 1, "spam": 1}
    metrics = evaluate(trained_model, [HAM_EN, HAM_RU], [SPAM])
    assert (metrics.n_ham, metrics.n_spam) == (2, 1)
    assert metrics.accuracy == 1.0 and metrics.false_positive_rate == 0.0


def test_broken_html_is_linear_time(trained_model: SpamModel) -> None:
    # Unclosed tags and comments once made the tag scan quadratic: minutes per message.
    body = "<a " * 60_000 + "<!--" + "<style x" * 10_000
    raw = b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/html\r\n\r\n" + body.encode()
    start = time.perf_counter()
    trained_model.score(raw)
    assert time.perf_counter() - start < 2.0


def test_header_facts_are_features() -> None:
    reply = make_mail(
        "Re: printer",
        "It works again, thanks.",
        "Olga Petrova <olga@corp.example.com>",
        In_Reply_To="<abc@corp.example.com>",
        Message_ID="<20021204050715.164DD3420E@corp.example.com>",
        Importance="high",
    )
    meta = tokens_of(extract(reply)).meta
    for token in ("hdr:threaded", "hdr:importance=high", "fromname:olga", "msgid:9.9A9A"):
        assert token in meta, meta
    assert "hdr:threaded" not in tokens_of(extract(SPAM)).meta
