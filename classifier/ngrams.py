"""Binary byte 4-grams of the start of the raw message, headers included.

The word features see what a reader sees; these see how the mail was made: the relays
in its Received chain, the header order and spelling of the tool that wrote it, its MIME
scaffolding, encoded or obfuscated text that no tokenizer splits into words. Byte
4-grams of the first few kilobytes with an online logistic regression were the strongest
general-purpose filter of the TREC spam tracks (Cormack; Sculley and Wachman), and they
need no language or format knowledge.

Every byte sequence of four is its own 32-bit code, so hashing is one multiplication per
gram in numpy: scoring a message costs tens of microseconds here, not a Python call per
gram. Digits are folded to ``0`` first: dates, IP addresses, sizes and ids in headers
would otherwise teach the model when and through which host a corpus was collected.
"""

from __future__ import annotations

import re
from typing import Any

from classifier.relay import FILTER_HEADERS, LIST_HEADERS, TRACE_HEADERS

N_GRAMS = 2**20  # hashed columns of this block (after the word block's)
PREFIX_BYTES = 3000  # of the message after the filter headers are dropped
# Of which the header block at most: the rest is the body's. Without the cap, the
# kilobytes of transport headers today's mail carries (X-MS-Exchange-*, X-Google-*, ...)
# fill the prefix, the grams see no body at all, and the scores of such mail shrink
# towards 0.5. The header blocks of the SpamAssassin corpus, once filtered, are under
# 1,100 bytes in 99% of its ham and 2,100 of its spam.
HEADER_BYTES = 1500
_GRAM_SHIFT = 32 - 20  # keep the top 20 bits of the product: N_GRAMS columns
_FIBONACCI = 0x9E3779B1  # 2^32 / golden ratio: spreads nearby codes over the table
# The header lines left out (prefix): the three patterns on bytes, one alternation.
_SKIPPED_LINE = re.compile(
    b"|".join(
        b"(?:%s)" % p.pattern.encode() for p in (FILTER_HEADERS, TRACE_HEADERS, LIST_HEADERS)
    ),
    re.I,
)
# Signatures, keys, hashes and tracking ids in header values (DKIM-Signature's b= and bh=,
# Autocrypt keys, the kilobytes of X-MS-Exchange-* and X-Google-* blobs of today's mail):
# random bytes whose grams mean nothing, land on columns that learnt something else, and
# in mail of a later year than the bootstrap corpus (which had none) fill the prefix and
# dilute the grams that do mean something. Cut out; what remains keeps the header's shape.
_BLOB = re.compile(rb"[A-Za-z0-9+/_=-]{40,}")
_HEADER_SCAN = 65_536  # bytes searched for the end of the header block

_FOLD = bytes.maketrans(b"0123456789", b"0000000000")  # digits folded (bytes.translate)


def prefix(raw: bytes) -> bytes:
    """The bytes the grams are taken from: line ends as LF, filters' verdicts dropped.

    ``X-Spam-*``/``X-Virus-*`` headers are an upstream filter's opinion (and a training
    corpus's labels); trace headers (Received, Delivered-To, ...) name the site that
    collected the mail, mailing-list headers the lists it subscribed to; CRLF versus LF
    depends on the transport that stored the mail; long base64 runs in header values
    are signatures and ids (_BLOB).
    """
    head = raw[: _HEADER_SCAN + PREFIX_BYTES].replace(b"\r\n", b"\n")
    end = head.find(b"\n\n")
    header, body = (head, b"") if end < 0 else (head[: end + 1], head[end + 1 :])
    kept: list[bytes] = []
    skipping = False
    for line in header.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        skipping = _SKIPPED_LINE.match(line) is not None
        if not skipping:
            kept.append(line)
    return (_BLOB.sub(b"", b"\n".join(kept))[:HEADER_BYTES] + body)[:PREFIX_BYTES]


def gram_codes(data: bytes) -> Any:
    """The distinct 4-gram codes (uint32, big-endian bytes) of ``data``, digits folded."""
    import numpy as np

    if len(data) < 4:
        return np.zeros(0, np.uint32)
    b = np.frombuffer(data.translate(_FOLD), np.uint8).astype(np.uint32)
    codes = (b[:-3] << 24) | (b[1:-2] << 16) | (b[2:-1] << 8) | b[3:]
    # np.unique's answer (sorted, distinct) by a sort and a mask: np.unique costs ten
    # times as much on arrays of this size.
    codes.sort()
    keep = np.empty(len(codes), bool)
    keep[0] = True
    np.not_equal(codes[1:], codes[:-1], out=keep[1:])
    return codes[keep]


def columns_of(codes: Any) -> Any:
    """Hashed columns (0 .. N_GRAMS-1) of gram codes: Fibonacci hashing, top bits."""
    import numpy as np

    product = (codes.astype(np.uint64) * _FIBONACCI) & 0xFFFFFFFF
    return (product >> _GRAM_SHIFT).astype(np.int64)


def name_of(code: int) -> str:
    """A gram as it reads in an explanation: ``raw:'Viag'``."""
    text = int(code).to_bytes(4, "big").decode("latin-1")
    return "raw:" + repr(text)
