"""The faster paths of spam extraction give the answers of the plain code they replace."""

from __future__ import annotations

import email
import email.message
import random
import re
from collections.abc import Callable

import numpy as np

from classifier import features, ngrams, scan
from classifier.message import _HREF, _URL
from classifier.parsed import IndexedMessage, message_from_bytes

_PIECES = [
    *"hHtTpPsSwW.:/ =\"'<>xyz\n\t",
    "\u017f",  # long s: matches "s" ignoring case, lower-cases to itself
    "\u0131",  # dotless i
    "\u0130",  # I with a dot: its lower case is two characters
    "http://",
    "HTTPS://",
    "www.",
    "aWWW.",
    "HREF=",
    "src='",
    "action=",
    "\u017frc=",
    "act\u0131on=",
]


def test_scan_findall_is_findall() -> None:
    rng = random.Random(7)
    texts = ["", "www.a.b www.c", "see http://x.test/a, (www.y.test) xwww.z", "href=mailto:a@b"]
    texts += ["".join(rng.choice(_PIECES) for _ in range(rng.randrange(60))) for _ in range(5000)]
    for text in texts:
        assert scan.findall(_URL, text, ("http", "www.")) == _URL.findall(text), text
        assert scan.findall(_HREF, text, ("href", "src", "action")) == _HREF.findall(text), text


_RAW = (
    b"Received: from a by b; Tue, 1 Oct 2002 10:00:00 +0000\n"
    b"From: Some One <one@example.com>\n"
    b"received: from c by d; Tue, 1 Oct 2002 09:00:00 +0000\n"
    b'Content-Type: multipart/alternative; boundary="XYZ"\n'
    b"Subject: hello\n\n"
    b"--XYZ\nContent-Type: text/plain; charset=us-ascii\n\nhi\n--XYZ--\n"
)


def _headers(msg: email.message.Message) -> list[object]:
    names = ["received", "From", "SUBJECT", "content-type", "x-missing"]
    return [
        *[msg.get(n) for n in names],
        *[msg.get_all(n) for n in names],
        *[n in msg for n in names],
        msg.get_param("boundary"),
        msg.get_param("charset", "none"),
        msg.get_boundary(),
    ]


def test_indexed_message_answers_as_message_through_changes() -> None:
    plain, indexed = email.message_from_bytes(_RAW), message_from_bytes(_RAW)
    assert isinstance(indexed, IndexedMessage)
    changes: list[Callable[[email.message.Message], None]] = [
        lambda m: m.__delitem__("Received"),
        lambda m: m.__setitem__("Received", "from e by f"),
        lambda m: m.replace_header("Subject", "other"),
        lambda m: m.set_boundary("NEW"),
        lambda m: m.add_header("X-Missing", "now"),
        lambda m: m.set_param("charset", "utf-8"),
    ]
    assert _headers(indexed) == _headers(plain)
    for change in changes:
        change(plain)
        change(indexed)
        assert _headers(indexed) == _headers(plain)
    parts = indexed.get_payload()
    assert isinstance(parts, list)
    part = parts[0]
    assert isinstance(part, IndexedMessage)
    assert part.get_content_charset() == "us-ascii"


def test_gram_codes_are_the_distinct_sorted_codes() -> None:
    rng = random.Random(3)
    for n in (0, 3, 4, 5, 100, 3000):
        data = bytes(rng.choice(b"ab0123456789 \n\xff") for _ in range(n))
        folded = data.translate(bytes.maketrans(b"123456789", b"000000000"))
        b = np.frombuffer(folded, np.uint8).astype(np.uint32)
        expected = np.unique((b[:-3] << 24) | (b[1:-2] << 16) | (b[2:-1] << 8) | b[3:])
        got = ngrams.gram_codes(data)
        assert got.dtype == np.uint32
        assert got.tolist() == (expected.tolist() if n >= 4 else [])


def test_ascii_words_are_the_unicode_pattern_words() -> None:
    unicode_word = re.compile(r"[^\W_]{2,40}|[$€£¥₽]|!{2,}")
    rng = random.Random(5)
    alphabet = "aZ09_ $!!-.é" + "x" * 10
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(80)))
        expected = [
            "#" * min(len(w), 6) if w.isdigit() else "!!" if w.startswith("!!") else w
            for w in unicode_word.findall(text.lower())
        ]
        assert features.words(text) == expected, text


def test_blocks_without_repeats_weigh_as_the_damped_formula() -> None:
    blocks = features.Blocks(["b:x", "b:y", "b:x"], ["s:a", "s:b", "s:c"], ["m"], [])
    row = features.hash_row(blocks)
    for start, tokens, weight in ((0, 2, 1.0), (2, 3, 0.5), (5, 1, 0.5)):
        counts = np.array([2.0, 1.0]) if start == 0 else np.ones(tokens)
        damped = 1.0 + np.log(counts)
        expected = damped * (weight / float(np.sqrt((damped**2).sum())))
        assert row.values[start : start + tokens].tolist() == expected.tolist()


# Malformed mail: undecodable header bytes (read back as Header objects), a line without a
# colon in the head, two Content-Types, a boundary that never closes, an unknown charset.
_BROKEN = (
    b"From: \xff\xfe Bad <bad@\xe9xample.test>\n"
    b"this line has no colon\n"
    b"Subject: =?x-unknown?B?w7xiZXI=?=\n"
    b"Content-Type: text/plain; charset=x-unknown\n"
    b'Content-Type: multipart/mixed; boundary="OPEN"\n\n'
    b"--OPEN\nContent-Type: text/html; charset=\xff\n\n<p>never closed\n"
)


def _text(value: object) -> object:
    """A header's answer as text (a Header object has no equality of its own)."""
    return [str(v) for v in value] if isinstance(value, list) else str(value)


def test_indexed_message_answers_as_message_on_malformed_mail() -> None:
    from classifier.message import extract

    plain, indexed = email.message_from_bytes(_BROKEN), message_from_bytes(_BROKEN)
    assert [_text(h) for h in _headers(indexed)] == [_text(h) for h in _headers(plain)]
    assert [type(d) for d in indexed.defects] == [type(d) for d in plain.defects]
    assert indexed.defects  # the line without a colon, at least
    found = extract(_BROKEN)  # no error: its tokens say what is odd
    assert found.sender_domain and found.tokens
