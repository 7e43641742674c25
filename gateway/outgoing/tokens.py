"""Signed reply tokens: the `+token` of `Reply-To: support+token@domain`.

A token names a ticket, a user (the recipient of the mail that carries it), a kind
(`r` reply, `g` rating grade with a small integer argument) and the day it was issued
(days since the Unix epoch, so validity can later be limited). Layout before encoding:

    kind (1 ASCII byte) | varint ticket_id | varint user_id | varint arg | varint day | MAC

where MAC is HMAC-SHA256 over a version label and the payload, truncated to 80 bits.
The whole is lowercase RFC 4648 base32 without padding: letters and digits only, so an
MTA or client that changes the letter case, or treats `-`/`.` as delimiters, cannot break
it. A typical token is about 30 characters; the largest possible one is 44, which leaves
room for a 19-character base in the 64 characters a local part may have (RFC 5321).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import ConfigError

KINDS = ("r", "g")
_MAC_BYTES = 10  # 80 bits: forging needs ~2**80 tries against a mail server.
_LABEL = b"helpdesk-token-v1\x00"  # domain separation: the key may sign other things later
_SECRET_BYTES = 32
_MIN_SECRET_BYTES = 16
_MAX_TOKEN_CHARS = 44
# Upper bounds (exclusive) of ticket_id, user_id, arg and day; they bound the token length.
_LIMITS = (2**32, 2**32, 2**16, 2**21)


@dataclass(frozen=True)
class Token:
    kind: str
    ticket_id: int
    user_id: int
    arg: int
    day: int


def today() -> int:
    """Days since the Unix epoch (UTC)."""
    return int(time.time() // 86400)


def load_or_create_secret(path: Path) -> bytes:
    """Read the HMAC key; create 32 random bytes (mode 0600) on first use.

    Creation is atomic: the key is written to a private temporary file and hard-linked
    into place, so two processes starting together agree on one key and nobody ever
    reads a half-written file.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        try:
            data = _create_secret(path)
        except OSError as exc:
            raise ConfigError(
                [f"[helpdesk] secret_file: {path} cannot be created ({exc.strerror})"]
            ) from exc
    except IsADirectoryError as exc:
        raise ConfigError([f"[helpdesk] secret_file: {path} is a directory"]) from exc
    except OSError as exc:
        raise ConfigError(
            [f"[helpdesk] secret_file: {path} cannot be read ({exc.strerror})"]
        ) from exc
    if len(data) < _MIN_SECRET_BYTES:
        raise ConfigError([f"[helpdesk] secret_file: {path} holds fewer than 16 bytes"])
    return data


def _create_secret(path: Path) -> bytes:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(_SECRET_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: use its key
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """Decode one varint at `pos`; raise ValueError when truncated or too long."""
    value = shift = 0
    while pos < len(data) and shift <= 35:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise ValueError("bad varint")


def _mac(secret: bytes, payload: bytes) -> bytes:
    # The one-shot digest: the same MAC as hmac.new(...).digest(), without the HMAC
    # object (every copy of a mail about a ticket signs its reply address).
    return hmac.digest(secret, _LABEL + payload, "sha256")[:_MAC_BYTES]


def make_token(
    secret: bytes, kind: str, ticket_id: int, user_id: int, arg: int = 0, day: int | None = None
) -> str:
    """A lowercase base32 token naming the ticket, the user and the kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown token kind {kind!r}")
    if day is None:
        day = today()
    for value, limit in zip((ticket_id, user_id, arg, day), _LIMITS, strict=True):
        if not 0 <= value < limit:
            raise ValueError(f"token field out of range: {value}")
    payload = kind.encode("ascii") + b"".join(_varint(v) for v in (ticket_id, user_id, arg, day))
    raw = payload + _mac(secret, payload)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def parse_token(secret: bytes, token: str, *, max_days: int | None = None) -> Token | None:
    """The token's fields, or None when it is malformed, forged, or older than `max_days`."""
    token = token.strip()
    if not token or len(token) > _MAX_TOKEN_CHARS or not token.isascii() or not token.isalnum():
        return None
    try:
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    except (binascii.Error, ValueError):
        return None
    if len(raw) < 1 + 4 + _MAC_BYTES:
        return None
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    kind = chr(payload[0])
    try:
        fields: list[int] = []
        pos = 1
        for _ in range(4):
            value, pos = _read_varint(payload, pos)
            fields.append(value)
    except ValueError:
        return None
    if pos != len(payload) or kind not in KINDS:
        return None
    if any(v >= limit for v, limit in zip(fields, _LIMITS, strict=True)):
        return None
    ticket_id, user_id, arg, day = fields
    if max_days is not None and today() - day > max_days:
        return None
    return Token(kind=kind, ticket_id=ticket_id, user_id=user_id, arg=arg, day=day)


def reply_address(address: str, token: str) -> str:
    """'support@ex.com' -> 'support+TOKEN@ex.com' (an existing +detail is replaced)."""
    local, _, domain = address.strip().rpartition("@")
    base = local.partition("+")[0]
    return f"{base}+{token}@{domain}"
