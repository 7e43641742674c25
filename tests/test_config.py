"""The config: the example documents every key, unknown keys and bad values are named."""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli.main import main
from gateway.errors import ConfigError
from gateway.settings import config as config_mod

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config" / "helpdesk.example.toml"


def _keys(cls: type, prefix: str) -> set[str]:
    keys = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        hint = hints[f.name]
        inner = typing.get_args(hint)[0] if typing.get_origin(hint) is list else hint
        if dataclasses.is_dataclass(inner):
            keys |= _keys(typing.cast(type, inner), f"{prefix}{f.name}.")
        else:
            keys.add(prefix + f.name)
    return keys


def _present(data: object, prefix: str = "") -> set[str]:
    keys = set()
    if isinstance(data, list):
        for item in data:
            keys |= _present(item, prefix)
    elif isinstance(data, dict):
        for key, value in data.items():
            if (
                isinstance(value, dict | list)
                and value
                and isinstance(value if isinstance(value, dict) else value[0], dict)
            ):
                keys |= _present(value, f"{prefix}{key}.")
            else:
                keys.add(prefix + key)
    return keys


def test_example_documents_every_key_and_is_valid() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    config_mod.from_dict(data)  # raises on any unknown key or bad value
    missing = _keys(config_mod.Config, "") - _present(data)
    assert not missing, f"keys not documented in {EXAMPLE.name}: {sorted(missing)}"


def test_repository_default_is_valid() -> None:
    cfg = config_mod.load(REPO / "helpdesk.toml")
    assert cfg.database.url.startswith("sqlite") and cfg.outgoing.transport == "maildir"
    assert cfg.smtp.listen == "127.0.0.1:2525" and not cfg.imap


def test_unknown_keys_and_bad_values_are_named() -> None:
    with pytest.raises(ConfigError) as err:
        config_mod.from_dict(
            {
                "helpdesk": {"adress": "x", "locale": "de"},
                "smtp": {"max_message_size": "big"},
                "imap": [{"host": "h", "bogus": 1}],
                "surprise": {},
            }
        )
    problems = "\n".join(err.value.problems)
    assert "[helpdesk]: unknown key 'adress'" in problems
    assert "[smtp] max_message_size: expected int" in problems
    assert "[[imap]] #1: unknown key 'bogus'" in problems
    assert "top level: unknown key 'surprise'" in problems
    assert "[helpdesk] locale" in problems


def test_check_config_cli(tmp_path: Path) -> None:
    good = CliRunner().invoke(main, ["--config", str(REPO / "helpdesk.toml"), "check-config"])
    assert good.exit_code == 0 and "OK" in good.output
    bad_file = tmp_path / "bad.toml"
    bad_file.write_text('[helpdesk]\naddress = "nope"\n[outgoing]\ntransport = "fax"\n')
    bad = CliRunner().invoke(main, ["--config", str(bad_file), "check-config"])
    assert bad.exit_code == 1
    assert "[helpdesk] address" in bad.output and "[outgoing] transport" in bad.output
    broken = tmp_path / "broken.toml"
    broken.write_text("[helpdesk\n")
    result = CliRunner().invoke(main, ["--config", str(broken), "tickets", "list"])
    assert result.exit_code == 1 and "not valid TOML" in result.output
    assert "Traceback" not in result.output
    missing = CliRunner().invoke(main, ["--config", str(tmp_path / "none.toml"), "users", "list"])
    assert missing.exit_code == 1 and "config file not found" in missing.output
