"""XOAUTH2 login: the token comes from a file or a command and is refreshed once on rejection.

Dovecot's XOAUTH2 needs an OAuth2 server, so the IMAP transport is faked here (the only
fake in these tests); the token handling is the product's own code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from imapclient.exceptions import LoginError

from gateway.intake.imap.connect import TokenSource, login
from gateway.intake.imap.errors import LoginRefused, TokenUnavailable
from gateway.settings.config import ImapSection


class FakeClient:
    """Accepts only the token named `valid`."""

    def __init__(self, valid: str) -> None:
        self.valid = valid
        self.tried: list[str] = []

    def oauth2_login(self, user: str, token: str) -> None:
        self.tried.append(token)
        if token != self.valid:
            raise LoginError(b"[AUTHENTICATIONFAILED] invalid token")


def test_token_file_is_reread_when_rejected(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("old\n")
    box = ImapSection(username="support@example.com", auth="xoauth2",
                      oauth_token_file=str(token_file))  # fmt: skip
    tokens = TokenSource(box, "m365")
    client = FakeClient(valid="old")
    login(client, box, "m365", tokens)
    token_file.write_text("new\n")  # the refresher rotated it; the cached one expires
    client.valid = "new"
    login(client, box, "m365", tokens)
    assert client.tried == ["old", "old", "new"]


def test_token_command_is_rerun_and_a_second_rejection_is_refused(tmp_path: Path) -> None:
    counter = tmp_path / "n"
    counter.write_text("0")
    script = f"n=$(cat {counter}); echo $((n+1)) > {counter}; echo token-$n"
    box = ImapSection(username="support@example.com", auth="xoauth2",
                      oauth_token_command=f"sh -c '{script}'")  # fmt: skip
    tokens = TokenSource(box, "gmail")
    client = FakeClient(valid="never")
    with pytest.raises(LoginRefused, match="login refused"):
        login(client, box, "gmail", tokens)
    assert client.tried == ["token-0", "token-1"]


def test_missing_token_is_reported(tmp_path: Path) -> None:
    box = ImapSection(auth="xoauth2", oauth_token_file=str(tmp_path / "absent"))
    with pytest.raises(TokenUnavailable, match="oauth_token_file"):
        TokenSource(box, "m365").get()
