"""Reply tokens: roundtrip, tampering, letter case, wrong key, junk; the secret file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gateway.addresses import AddressBook
from gateway.outgoing.tokens import (
    Token,
    load_or_create_secret,
    make_token,
    parse_token,
    reply_address,
    today,
)
from gateway.settings import config

SECRET = b"k" * 32


def test_roundtrip_and_shape() -> None:
    token = make_token(SECRET, "r", 17, 42, day=20000)
    assert token == token.lower() and token.isalnum()
    assert parse_token(SECRET, token) == Token("r", 17, 42, 0, 20000)
    assert parse_token(SECRET, make_token(SECRET, "g", 5, 6, arg=4)) == Token("g", 5, 6, 4, today())


def test_largest_token_fits_a_local_part() -> None:
    token = make_token(SECRET, "g", 2**32 - 1, 2**32 - 1, 2**16 - 1, 2**21 - 1)
    assert len(token) <= 44
    assert len(reply_address("support@example.com", token).split("@")[0]) <= 64
    with pytest.raises(ValueError):
        make_token(SECRET, "r", 2**32, 1)
    with pytest.raises(ValueError):
        make_token(SECRET, "x", 1, 1)


def test_case_changes_do_not_break_it() -> None:
    token = make_token(SECRET, "r", 123456, 7)
    assert parse_token(SECRET, token.upper()) == parse_token(SECRET, token)
    assert parse_token(SECRET, token.title()) is not None


def test_tampering_and_wrong_secret_fail() -> None:
    token = make_token(SECRET, "r", 17, 42)
    for i in range(len(token) - 1):  # the last character carries padding bits
        swapped = "a" if token[i] != "a" else "b"
        assert parse_token(SECRET, token[:i] + swapped + token[i + 1 :]) is None
    assert parse_token(b"other" * 8, token) is None
    assert parse_token(SECRET, token[:-2]) is None
    assert parse_token(SECRET, token + "aa") is None


@pytest.mark.parametrize(
    "junk", ["", "a", "!!!", "hd-17", "z" * 44, "z" * 200, "тест", "abc=def", "0" * 30, " "]
)
def test_junk_is_rejected(junk: str) -> None:
    assert parse_token(SECRET, junk) is None


def test_max_days() -> None:
    token = make_token(SECRET, "r", 1, 2, day=today() - 10)
    assert parse_token(SECRET, token, max_days=30) is not None
    assert parse_token(SECRET, token, max_days=5) is None


def test_addresses() -> None:
    assert reply_address("support@ex.com", "tok") == "support+tok@ex.com"
    assert reply_address("support+old@ex.com", "tok") == "support+tok@ex.com"
    book = AddressBook(
        config.from_dict(
            {"helpdesk": {"address": "support@example.com", "intake_addresses": ["it@example.com"]}}
        )
    )
    assert book.detail("Support+ABC@Example.COM") == "ABC"  # tokens ignore letter case
    assert book.detail("it+xyz@example.com") == "xyz"
    assert book.detail("support@example.com") is None
    assert book.detail("other+abc@example.com") is None
    assert book.detail("support+abc@elsewhere.com") is None


def test_secret_file_created_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "var" / "deep" / "secret.key"
    first = load_or_create_secret(path)
    assert len(first) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_secret(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]
