"""`[spam] trusted_authserv_id` reaches the features (else `[security]`'s is used)."""

from __future__ import annotations

from pathlib import Path

from gateway.settings import config as config_mod
from gateway.spam.store import feature_context
from tests.harness import write_config


def test_the_trusted_server_comes_from_spam_then_security(tmp_path: Path) -> None:
    for name in "abc":
        (tmp_path / name).mkdir()
    spam = write_config(tmp_path / "a", '[spam]\ntrusted_authserv_id = "mx.corp.example.com"\n')
    assert feature_context(config_mod.load(spam)).trusted_authserv_id == "mx.corp.example.com"
    security = write_config(tmp_path / "b", '[security]\ntrusted_authserv_id = "mx.example.ru"\n')
    assert feature_context(config_mod.load(security)).trusted_authserv_id == "mx.example.ru"
    neither = write_config(tmp_path / "c")
    assert feature_context(config_mod.load(neither)).trusted_authserv_id == ""
