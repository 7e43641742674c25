"""Where a mail's signature starts: "-- " and its sloppy forms, mobile lines, "-Name"."""

from __future__ import annotations

import re

_I = re.IGNORECASE
_SIG_DELIM = re.compile(r"^(?:--|-- |—|__|_{2,}|-{2,} ?)\s*$")
_MOBILE = re.compile(
    r"^\s*(?:sent from (?:my )?[\w .'-]{1,40}|sent with [\w .()/:?-]{1,80}"
    r"|get outlook for [\w ]{1,20}|von meinem [\w ]{1,30} gesendet|gesendet von [\w ]{1,30}"
    r"|envoyé de mon [\w ]{1,30}|enviado desde mi [\w ]{1,30}|inviato da [\w ]{1,30}"
    r"|отправлено (?:с|из|со) [\w .«»\"-]{1,60}|sent from yandex[\w .]{0,20}"
    r"|отправлено из мобильной почты mail\.ru|написано с [\w ]{1,30})\s*$",
    _I,
)
_NAME_SIG = re.compile(r"^-[^\W\d_][\w .'-]{0,40}$")
_MAX_SIG_LINES = 20


def signature_start(lines: list[str]) -> int:
    """Index where the signature begins in ``lines``, len(lines) if there is none."""
    n = len(lines)
    last = n - 1
    while last >= 0 and not lines[last].strip():
        last -= 1
    if last < 0:
        return n
    for i in range(last, max(-1, last - _MAX_SIG_LINES - 1), -1):
        line = lines[i]
        if line == "-- " or (_SIG_DELIM.match(line) and i < last):
            return i
    if _MOBILE.match(lines[last]):
        start = last
        if start > 0 and _SIG_DELIM.match(lines[start - 1]):
            start -= 1
        return start
    # "-Name" closing lines, as in "-Abhishek Kona" (GitHub and list mail).
    for i in range(last, max(-1, last - 6), -1):
        if _NAME_SIG.match(lines[i].strip()):
            return i
    return n
