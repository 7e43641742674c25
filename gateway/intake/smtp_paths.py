"""MAIL FROM and RCPT TO paths read quickly when they are plain `<local@domain>`.

aiosmtpd reads each path with the email package's header parser and declares a typing
Protocol class inside its `_getaddr` at every call: ~47 µs a path on this machine, two
paths a message, several percent of the SMTP process's time per message. A path whose
local part and domain are dot-atoms of ASCII atext (nearly every one) means the same
address text either way, so it is taken as written; anything else (quoted local parts,
comments, address literals, UTF-8, leading blanks) still goes to the parser.
"""

from __future__ import annotations

import re
from email._header_value_parser import get_addr_spec, get_angle_addr
from email.errors import HeaderParseError

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATOM}(?:\.{_ATOM})*"
# `<local@domain>`, then the end or blanks before a parameter (not a comment).
_PLAIN = re.compile(rf"<({_DOT_ATOM}@{_DOT_ATOM})>(?:$|[ \t]+(?=[^ \t(]))")


def parse_path(arg: str, local_part_limit: int = 0) -> tuple[str | None, str | None]:
    """(address, parameters) as aiosmtpd's `SMTP._getaddr` gives them: ("", "") for
    an empty argument, (None, None) for a malformed one or a local part past the limit."""
    if not arg:
        return "", ""
    plain = _PLAIN.match(arg)
    if plain is not None:
        addr, rest = plain.group(1), arg[plain.end() :]
    else:
        try:
            if arg.lstrip().startswith("<"):
                angle, rest = get_angle_addr(arg)
                addr = angle.addr_spec
            else:
                spec, rest = get_addr_spec(arg)
                addr = spec.addr_spec
        except HeaderParseError:
            return None, None
    localpart = addr.rpartition("@")[0]
    if local_part_limit and len(localpart) > local_part_limit:
        return None, None
    return addr, rest
