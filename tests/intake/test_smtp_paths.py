"""MAIL FROM / RCPT TO paths: the quick reading of plain `<local@domain>` paths gives what
aiosmtpd's own parser gives, for every path tried (plain, quoted, UTF-8, literals, odd
dots, parameters, comments, blanks, the local-part limit), and the server uses it."""

from __future__ import annotations

import itertools

from aiosmtpd.smtp import SMTP

from gateway.intake.smtp import _IntakeSMTP
from gateway.intake.smtp_paths import _PLAIN, parse_path

LOCALS = ["a", "a.b", "a+b", "a..b", ".a", "a.", '"a b"', "пользователь", "o'neil", "x" * 70]
DOMAINS = ["b.c", "x-y.example.org", "[1.2.3.4]", "b..c", "b.c.", "пример.рф", "b"]
TAILS = ["", " SIZE=100", "  BODY=8BITMIME SMTPUTF8", "x", " (c)", " SIZE=1 (c)", "\tSIZE=1", " "]


def _aiosmtpd(arg: str, limit: int) -> object:
    server = SMTP.__new__(SMTP)
    server.local_part_limit = limit
    try:
        return SMTP._getaddr(server, arg)
    except Exception as exc:  # the same failure either way
        return type(exc).__name__


def _ours(arg: str, limit: int) -> object:
    try:
        return parse_path(arg, limit)
    except Exception as exc:
        return type(exc).__name__


def test_every_path_reads_as_aiosmtpd_reads_it() -> None:
    quick = 0
    for local, domain, tail in itertools.product(LOCALS, DOMAINS, TAILS):
        for arg in (
            f"<{local}@{domain}>{tail}",
            f" <{local}@{domain}>{tail}",
            f"{local}@{domain}{tail}",
            "<>" + tail,
            "",
        ):
            for limit in (0, 64):
                assert _ours(arg, limit) == _aiosmtpd(arg, limit), (arg, limit)
                quick += _PLAIN.match(arg) is not None
    assert quick > 100  # the plain paths took the quick way


def test_the_server_reads_paths_this_way() -> None:
    assert _IntakeSMTP._getaddr is not SMTP._getaddr
    server = _IntakeSMTP.__new__(_IntakeSMTP)
    server.local_part_limit = 0
    assert server._getaddr("<ivan@corp.example.org> SIZE=12") == (
        "ivan@corp.example.org",
        "SIZE=12",
    )
