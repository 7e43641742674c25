"""Raw byte grams and header tokens: what they read, what they leave out, the cold start."""

from __future__ import annotations

import numpy as np

from classifier import MIN_SPAM, SpamModel, ngrams
from classifier.features import N_WORDS, row_of
from classifier.message import extract
from tests.classifier.test_spam_model import HAM_EN, HAM_RU, SPAM, make_mail


def _codes(raw: bytes) -> set[int]:
    return set(ngrams.gram_codes(ngrams.prefix(raw)).tolist())


def test_filter_verdicts_and_their_continuation_lines_are_dropped() -> None:
    tagged = (
        b"X-Spam-Status: Yes, score=12.3\n\trequired=5.0 tests=LOTTERY\n"
        b"X-Virus-Scanned: clean\n" + SPAM
    )
    cut = ngrams.prefix(tagged)
    assert b"X-Spam" not in cut and b"LOTTERY" not in cut and b"Virus" not in cut
    assert cut == ngrams.prefix(SPAM)


def test_line_ends_and_digits_do_not_change_the_grams() -> None:
    crlf = SPAM.replace(b"\n", b"\r\n")
    assert _codes(crlf) == _codes(SPAM)
    # Dates, addresses and ids differ between copies of the same mail; their shape stays.
    other_date = make_mail(
        "Cannot print to the office printer",
        "Hello, my laptop cannot find the printer in room 314 since this morning. "
        "Could you please help? Thanks, Olga",
        "olga@corp.example.com",
    )
    assert _codes(other_date) == _codes(HAM_EN)


def test_grams_cover_headers_and_only_the_start_of_the_body() -> None:
    long_tail = SPAM + b"\n" + b"zqxj" * 5000
    assert _codes(long_tail) == _codes(SPAM + b"\n" + b"zqxj" * 600) or (
        len(ngrams.prefix(long_tail)) == ngrams.PREFIX_BYTES
    )
    assert int.from_bytes(b"From", "big") in _codes(SPAM)
    assert len(ngrams.prefix(long_tail)) == ngrams.PREFIX_BYTES
    assert ngrams.gram_codes(b"abc").size == 0  # too short for one gram, no error


def test_gram_columns_follow_the_word_block_and_explain_themselves() -> None:
    row = row_of(SPAM)
    names = len(row.names)
    assert (row.columns[:names] < N_WORDS).all() and (row.columns[names:] >= N_WORDS).all()
    grams = row.values[names:]
    assert np.isclose(float((grams**2).sum()), 1.0)  # binary, l2-normalized block
    assert row.name(names).startswith("raw:'")


def test_header_names_and_sender_become_tokens_but_not_the_collecting_relays() -> None:
    """The relays' names and addresses say where a corpus was collected, not what the mail
    is: they are no features (nor are their bytes among the grams); the hop's shape is."""
    raw = (
        b"Received: from relay7.mailer.example.co.uk (unknown [203.0.113.9])\n"
        b"\tby mx.example.com with ESMTP id 1; Mon, 2 Dec 2026 10:00:00 +0000\n"
        b"Delivered-To: collector@archive.example.net\n"
        b"X-Campaign-Tool: users@tool.example.org\n" + HAM_EN
    )
    tokens = extract(raw).tokens
    assert "hn:x-campaign-tool" in tokens
    assert not any(t in tokens for t in ("hn:received", "hn:delivered-to"))
    assert not any("example.co.uk" in t or "203.0" in t for t in tokens)
    assert "rcv:esmtp" in tokens and "rcv:no_rdns" in tokens
    assert "fromaddr:olga@corp.example.com" in tokens
    gram_text = ngrams.prefix(raw)
    assert b"relay7" not in gram_text and b"archive.example.net" not in gram_text
    assert b"X-Campaign-Tool" in gram_text


def test_mailing_list_headers_bytes_are_no_grams() -> None:
    """Which lists a corpus's collector read is no fact about the mail: the bytes of the
    headers list software writes are no grams; that list software sent it stays a token."""
    raw = (
        b"List-Id: SpamAssassin talk <spamassassin-talk.lists.sourceforge.net>\n"
        b"List-Unsubscribe: <mailto:talk-request@lists.sourceforge.net>\n"
        b"Precedence: bulk\nX-BeenThere: spamassassin-talk@lists.sourceforge.net\n"
        b"X-Mailman-Version: 2.0.9\nSender: talk-admin@lists.sourceforge.net\n"
        b"Errors-To: talk-admin@lists.sourceforge.net\n" + HAM_EN
    )
    assert ngrams.prefix(raw) == ngrams.prefix(HAM_EN)
    tokens = extract(raw).tokens
    assert {"hdr:list_unsubscribe", "hdr:list_id", "hn:list-id"} <= set(tokens)


def test_todays_transport_headers_leave_the_body_its_grams_and_count_once() -> None:
    """Mail through Exchange Online or Gmail carries kilobytes of headers the bootstrap
    corpus never had: signatures and ids (random bytes, cut out) and a score of vendor
    fields. They must not push the body out of the gram prefix, nor outnumber the other
    header facts: one name token per vendor family."""
    blob = b"b=" + b"AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/" * 8
    transport = (
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1;\n\t"
        + blob
        + b"\n"
        + b"".join(b"X-MS-Exchange-CrossTenant-Field%d: %s\n" % (n, b"x" * 60) for n in range(40))
    )
    raw = transport + SPAM
    cut = ngrams.prefix(raw)
    assert b"AbCdEfGhIjKlMnOp" not in cut and b"d=example.com" in cut
    body = SPAM[SPAM.index(b"\n\n") + 2 :]
    assert body[:200] in cut  # the body's start is still among the grams
    tokens = extract(raw).tokens
    assert tokens.count("hn:x-ms-exchange") == 40  # one token, counted (damped) 40 times
    assert not any(t.startswith("hn:x-ms-exchange-") for t in tokens)


def test_spam_lessons_alone_start_the_filter_and_one_release_calibrates_it() -> None:
    """`#spam` corrections alone start the filter (no ham is needed: an install taught only
    by corrections would otherwise never start). A model that knows only spam holds what
    shares its shape; the first release, learned as ham, is enough to let office mail by."""
    model = SpamModel.new()
    for n in range(MIN_SPAM):
        assert not model.trained
        variant = SPAM.replace(b"winner", f"winner{n}".encode())
        model.learn(variant, True, threshold=0.85)
    assert model.trained and model.counts == {"ham": 0, "spam": MIN_SPAM}
    assert model.holds(model.score(SPAM).probability, 0.85)
    model.learn(HAM_EN, False, threshold=0.85)  # an agent releases a held request
    for ham in (HAM_EN, HAM_RU):
        assert not model.holds(model.score(ham).probability, 0.85)
    assert model.holds(model.score(SPAM).probability, 0.85)


def test_the_newest_lesson_wins_over_recent_ones_that_contradict_it() -> None:
    """An agent releases what earlier lessons called spam: the replay of those lessons
    must not undo the release, and they are forgotten so that no later replay does."""
    model = SpamModel.new()
    variants = [SPAM.replace(b"winner", f"winner{n}".encode()) for n in range(6)]
    for raw in variants:
        model.learn(raw, True, threshold=0.85)
    assert model.holds(model.score(variants[0]).probability, 0.85)
    model.learn(variants[0], False, threshold=0.85)
    assert not model.holds(model.score(variants[0]).probability, 0.85)
    assert len(model.recent) < len(variants) + 1  # the contradicting lessons are gone
    model.learn(HAM_EN, False, threshold=0.85)  # a later lesson replays what is left
    assert not model.holds(model.score(variants[0]).probability, 0.85)


def test_malformed_headers_score_without_error_and_the_same_each_time() -> None:
    model = SpamModel.new()
    model.learn(SPAM, True, threshold=0.85)
    broken = [
        b"Received: from \xff\xfe[999.1.2.3] by ;;;\nFrom: \xc3(bad utf8 <@>\nSubject: x\n\nbody",
        b"Received:\n\t\nReceived: " + b"a." * 5000 + b"com\nno colon line\nbody only",
        b"From: a@b.example\n" * 3000,  # headers and no body
        b"\x00\x01\x02",  # not mail at all
        b"",
    ]
    for raw in broken:
        first = model.score(raw)
        assert 0.0 <= first.probability <= 1.0
        assert model.score(raw) == first
        assert isinstance(extract(raw).tokens, list)
