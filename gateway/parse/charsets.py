"""Turn bytes in any declared, bogus or missing charset into text without ever failing."""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

from charset_normalizer import from_bytes

# Labels that real mailers put in charset= but that name no charset at all.
_BOGUS = frozenset(
    {
        "",
        "default",
        "default_charset",
        "unknown",
        "unknown-8bit",
        "x-unknown",
        "x-user-defined",
        "charset",
        "none",
        "8bit",
    }
)

# Mislabels and supersets: decoding with the superset is always at least as good
# (gb2312 mail is routinely gbk/gb18030, "iso-8859-1" mail routinely has cp1252 quotes).
_ALIASES = {
    "chinesebig5": "big5hkscs",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "cp936": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "iso-2022-jp": "iso2022_jp_ext",
    "shift-jis": "cp932",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "x-mac-cyrillic": "mac_cyrillic",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "iso-8859-8-i": "iso-8859-8",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}

# Undeclared high bytes that are mostly letters in 0xC0-0xFF are single-byte Cyrillic:
# cp1251 or koi8-r, told apart by letter frequency and case (see _cyrillic_codec).
_CYRILLIC_MIN_SHARE = 0.4
# Letter frequencies of Russian prose (percent); lowercase letters also earn a bonus.
_RU_FREQ = dict(
    zip(
        "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъёіїєґ",
        (10.97, 8.45, 8.01, 7.35, 6.7, 6.26, 5.47, 4.73, 4.54, 4.4, 3.49, 3.21, 2.98, 2.81,
         2.62, 2.01, 1.9, 1.74, 1.7, 1.65, 1.59, 1.44, 1.21, 0.97, 0.94, 0.73, 0.64, 0.48,
         0.36, 0.32, 0.26, 0.04, 0.04, 3.0, 0.5, 0.5, 0.1),
        strict=True,
    )
)  # fmt: skip
# 7-bit encodings cannot contain high bytes: such a label is a lie about the data.
_SEVEN_BIT = frozenset({"ascii", "iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "utf-7",
                        "iso2022_kr"})  # fmt: skip
# What a mislabelled part usually really is, given its label.
_RELATED = {
    "iso2022_jp_ext": ("cp932", "euc_jp"),
    "iso2022_jp": ("cp932", "euc_jp"),
    "iso2022_kr": ("cp949",),
    "ascii": (),
    "cp1252": ("cp1252",),
}
# C1 controls in decoded text mean the bytes were read with the wrong single-byte charset.
_C1 = re.compile("[\x80-\x9f]")
_DETECT_MIN_BYTES = 64
_DETECT_MAX_BYTES = 16384


@lru_cache(maxsize=256)
def codec_for(label: str | None) -> str | None:
    """Return a Python codec name for a MIME charset label, or None if unusable."""
    if label is None:
        return None
    name = label.strip().strip("\"'").lower()
    # RFC 2231 language suffix ("utf-8*en") and stray parameters.
    name = name.split("*", 1)[0].split(";", 1)[0].strip()
    if name in _BOGUS:
        return None
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _looks_cyrillic(data: bytes) -> bool:
    high = sum(1 for b in data if b >= 0xC0)
    letters = sum(1 for b in data if (65 <= b <= 90) or (97 <= b <= 122))
    return high > 0 and high / (high + letters) >= _CYRILLIC_MIN_SHARE


def _russian_score(text: str) -> float:
    score = 0.0
    for ch in text:
        freq = _RU_FREQ.get(ch.lower())
        if freq is not None:
            score += freq + (2.0 if ch.islower() else 0.0)
        elif "\u2500" <= ch <= "\u25ff":
            # koi8-r puts box-drawing characters where cp1251 has ё, № and quotes.
            score -= 5.0
    return score


def _cyrillic_codec(data: bytes) -> str:
    """cp1251 or koi8-r, whichever reads as more plausible Russian."""
    sample = data[:4096]
    cp1251 = _russian_score(sample.decode("cp1251", "replace"))
    koi8 = _russian_score(sample.decode("koi8_r", "replace"))
    return "cp1251" if cp1251 >= koi8 else "koi8_r"


_HIGH = bytes(range(0x80, 0x100))
_LETTER_HIGH = bytes(range(0xC0, 0x100))
_ASCII_NOT_SPACE = bytes(range(0x20)) + bytes(range(0x21, 0x80))
_SAMPLE = 65536


def guess_message_charset(data: bytes) -> str | None:
    """A charset for a whole message's undeclared 8-bit bytes, when they are Cyrillic.

    Short headers alone are too little to tell cp1251 from koi8-r; the whole message
    (subject, names and body together) usually is enough.
    """
    sample = data[:_SAMPLE]
    if sample.isascii():
        return None
    try:
        sample.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    high_letters = len(sample) - len(sample.translate(None, _LETTER_HIGH))
    high = len(sample) - len(sample.translate(None, _HIGH))
    # Only the high bytes are Cyrillic text; the ASCII letters are headers and markup.
    if high_letters < 4 or high_letters < 0.6 * high:
        return None
    return _cyrillic_codec(sample.translate(None, _ASCII_NOT_SPACE))


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _detect(data: bytes) -> str | None:
    """Guess the charset of longer undeclared text with charset_normalizer."""
    if len(data) < _DETECT_MIN_BYTES:
        return None
    best = from_bytes(data[:_DETECT_MAX_BYTES]).best()
    return None if best is None else codec_for(best.encoding)


def decode_text(
    data: bytes, declared: str | None = None, hint: str | None = None
) -> tuple[str, str]:
    """Decode ``data``; return (text, problem) where problem is '' when the label was honoured.

    ``declared`` is the charset the part claims; ``hint`` is a charset seen elsewhere in
    the same message, used for undeclared 8-bit bytes (usually headers).
    """
    codec = codec_for(declared)
    if codec is not None and not (codec in _SEVEN_BIT and not data.isascii()):
        text = _try(data, codec)
        if text is not None and not (_C1.search(text) and codec not in _SEVEN_BIT):
            return text, ""
    if data.isascii():
        return data.decode("ascii"), ""
    text = _try(data, "utf-8")
    if text is not None:
        return text, _problem(declared, "utf-8")
    for guess in _guesses(data, hint, declared):
        text = _try(data, guess)
        if text is not None and not _C1.search(text):
            return text, _problem(declared, guess)
    return data.decode(codec or "cp1252", "replace"), _problem(declared, "replacement")


def _guesses(data: bytes, hint: str | None, declared: str | None = None) -> list[str]:
    guesses: list[str] = list(_RELATED.get(codec_for(declared) or "", ()))
    hinted = codec_for(hint)
    if hinted is not None and hinted not in ("ascii", "utf-8"):
        guesses.append(hinted)
        guesses += _RELATED.get(hinted, ())
    if _looks_cyrillic(data):
        guesses.append(_cyrillic_codec(data))
    detected = _detect(data)
    if detected is not None:
        guesses.append(detected)
    guesses += ["cp1252", "latin-1"]
    return guesses


def _problem(declared: str | None, used: str) -> str:
    if not declared and used == "utf-8":
        # Undeclared UTF-8 is what modern mailers send (RFC 6532); not worth a note.
        return ""
    label = (declared or "").strip() or "none"
    return f"charset {label!r} could not decode the text; used {used}"
