"""`check-config` finds what would break the daemon, and `run` refuses to start on it;
deployment mistakes end in one clear line, never a traceback; data files are private."""

from __future__ import annotations

import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gateway.cli.main import main
from tests.harness import REPO, free_port, mail, write_config


def cli(config: Path, *args: str, raw: bytes | None = None) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), *args], input=raw)


def edit(config: Path, old: str, new: str) -> None:
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))


def test_a_good_config_passes(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = cli(config, "check-config")
    assert result.exit_code == 0, result.output
    assert "helpdesk.toml: OK" in result.output


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('listen = "127.0.0.1:', 'listen = "127.0.0.1:99999"\n#', "[smtp] listen: port"),
        ("[runner]", '[logging]\nlevel = "LOUD"\n[runner]', "[logging] level: must be one of"),
        ("[runner]", "[security]\ntoken_days = -5\n[runner]", "[security] token_days"),
        ('transport = "maildir"', 'transport = "maildir"\nport = 0', "[outgoing] port"),
        (
            "[runner]",
            '[[agents]]\nemail = "Alice@Example.com"\nname = "A"\n[runner]',
            "[[agents]] #2 email: alice@example.com is already agent #1",
        ),
    ],
    ids=["port 99999", "level LOUD", "token_days -5", "outgoing port 0", "duplicate agent"],
)
def test_bad_values_are_refused(tmp_path: Path, old: str, new: str, expected: str) -> None:
    config = write_config(tmp_path)
    edit(config, old, new)
    result = cli(config, "check-config")
    assert result.exit_code == 1
    assert expected in result.output, result.output
    assert "Traceback" not in result.output


def test_a_secret_that_cannot_be_created(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / "blocker").write_text("a file where a folder should be")
    edit(config, 'secret_file = "var/secret.key"', 'secret_file = "blocker/secret.key"')
    result = cli(config, "check-config")
    assert result.exit_code == 1
    assert "[helpdesk] secret_file:" in result.output and "blocker/secret.key" in result.output
    refused = cli(config, "run")
    assert refused.exit_code == 1 and "cannot start: [helpdesk] secret_file" in refused.output


def test_a_short_secret_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "secret.key").write_bytes(b"short")
    result = cli(config, "check-config")
    assert result.exit_code == 1 and "fewer than 16 bytes" in result.output


def test_the_database_connection_is_tested(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    url = f"postgresql+psycopg://helpdesk@127.0.0.1:{free_port()}/helpdesk"
    edit(config, "sqlite:///var/helpdesk.db", url)
    result = cli(config, "check-config")
    assert result.exit_code == 1
    assert "[database] url: cannot use the database:" in result.output
    assert "SELECT" not in result.output and "Traceback" not in result.output
    refused = cli(config, "run")
    assert refused.exit_code == 1 and "cannot start: [database] url" in refused.output


def test_an_outdated_schema_is_named(tmp_path: Path) -> None:
    from alembic import command

    from gateway.store.db import alembic_config

    config = write_config(tmp_path)
    (tmp_path / "var").mkdir()
    command.upgrade(alembic_config(f"sqlite:///{tmp_path / 'var' / 'helpdesk.db'}"), "0001")
    result = cli(config, "check-config")
    assert result.exit_code == 1 and "run `helpdesk db upgrade`" in result.output
    assert cli(config, "db", "upgrade").exit_code == 0
    assert cli(config, "check-config").exit_code == 0


def test_templates_override_folder(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    edit(config, 'locale = "ru"', 'locale = "ru"\ntemplates_dir = "own-templates"')
    missing = cli(config, "check-config")
    assert missing.exit_code == 1
    assert "[helpdesk] templates_dir: not a directory:" in missing.output
    assert cli(config, "run").exit_code == 1
    # An override folder holds only what it changes; the rest comes from the package.
    (tmp_path / "own-templates" / "ru").mkdir(parents=True)
    (tmp_path / "own-templates" / "ru" / "confirmation.subject.j2").write_text("Принято")
    assert cli(config, "check-config").exit_code == 0


def test_a_directory_as_config(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--config", str(tmp_path), "tickets", "list"])
    assert result.exit_code == 1
    assert result.output.startswith("config error: config file is a directory:")
    checked = CliRunner().invoke(main, ["--config", str(tmp_path), "check-config"])
    assert checked.exit_code == 1 and "is a directory" in checked.output


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, port=port)
        done = subprocess.run(
            [sys.executable, "-m", "gateway", "--config", str(config), "run"],
            cwd=REPO,
            capture_output=True,
            timeout=120,
        )
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert f"error: [smtp] listen: cannot listen on 127.0.0.1:{port}:" in err
    assert "Traceback" not in err


def test_data_files_are_private(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert cli(config, "db", "upgrade").exit_code == 0
    raw = mail("Доступ к VPN", "Не подключается.").as_bytes()
    assert cli(config, "deliver", "support@example.com", raw=raw).exit_code == 0
    assert cli(config, "check-config").exit_code == 0  # creates the secret
    var = tmp_path / "var"
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    for name in ("helpdesk.db", "helpdesk.db-wal", "secret.key"):
        path = var / name
        if path.exists() or name != "helpdesk.db-wal":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def test_state_dir_is_where_relative_paths_point(tmp_path: Path) -> None:
    etc, state = tmp_path / "etc", tmp_path / "lib"
    etc.mkdir()
    config = write_config(etc)
    edit(config, 'locale = "ru"', f'locale = "ru"\nstate_dir = "{state}"')
    assert cli(config, "db", "upgrade").exit_code == 0
    assert (state / "var" / "helpdesk.db").is_file()
    assert not (etc / "var").exists()
