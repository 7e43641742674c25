"""`helpdesk deliver` as Postfix's pipe runs it: several recipients, and 75 for every
failure that is not the sender's, so that the MTA retries instead of bouncing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from gateway.cli.main import main
from gateway.store.db import Database, upgrade
from gateway.store.model import Inbound
from tests.harness import mail, write_config

RAW = mail("Принтер не печатает", "Третий этаж, HP 4250.").as_bytes()


def run(*args: str, raw: bytes = RAW) -> Result:
    return CliRunner().invoke(main, list(args), input=raw)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = write_config(tmp_path)
    upgrade(f"sqlite:///{tmp_path / 'var' / 'helpdesk.db'}")
    return path


def stored(config: Path) -> list[Inbound]:
    db = Database(f"sqlite:///{config.parent / 'var' / 'helpdesk.db'}")
    try:
        with db.read() as session:
            return list(session.scalars(select(Inbound)))
    finally:
        db.dispose()


def test_recipients_as_arguments_as_postfix_expands_them(config: Path) -> None:
    result = run(
        "--config", str(config), "deliver", "--sender", "ivan@corp.example.org",
        "--recipient", "support@example.com", "printers@example.com",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = stored(config)
    assert row.rcpt_to == ["support@example.com", "printers@example.com"]


def test_foreign_recipients_among_ours_do_not_bounce_ours(config: Path) -> None:
    result = run(
        "--config", str(config), "deliver",
        "support@example.com", "someone@other.test", "Kto@пример.рф",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = stored(config)
    assert row.rcpt_to == ["support@example.com"]


def test_only_foreign_recipients_is_the_senders_fault(config: Path) -> None:
    result = run("--config", str(config), "deliver", "nobody@example.com", "x@mail.ru")
    assert result.exit_code == 67
    assert "no such mailbox here: nobody@example.com, x@mail.ru" in result.output
    assert stored(config) == []


def test_empty_message_is_the_senders_fault(config: Path) -> None:
    result = run("--config", str(config), "deliver", "support@example.com", raw=b"\r\n")
    assert result.exit_code == 65 and "empty message" in result.output


@pytest.mark.parametrize(
    "problem",
    ["missing", "directory", "typo", "not toml", "unreadable", "not utf-8"],
)
def test_config_problems_defer_the_mail(
    config: Path, problem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config
    assert run("--config", str(path), "deliver").exit_code == 0  # the config as written is fine
    if problem == "missing":
        path.unlink()
    elif problem == "directory":
        path = config.parent
    elif problem == "typo":
        path.write_text(path.read_text().replace("[smtp]", "[smtp]\nlisen = 1"))
    elif problem == "not toml":
        path.write_text("[helpdesk\n")
    elif problem == "unreadable":
        # Tests may run as root, who reads a file of mode 0: the open itself is refused.
        import builtins

        real_open = builtins.open

        def refuse(file: object, *args: object, **kwargs: object) -> object:
            if str(file) == str(path):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

        monkeypatch.setattr(builtins, "open", refuse)
    else:
        path.write_bytes(b'[helpdesk]\nname = "\xff\xfe"\n')
    result = run("--config", str(path), "deliver", "--recipient", "support@example.com")
    if problem == "unreadable":
        assert "permission denied" in result.output
    assert result.exit_code == 75, result.output
    assert "try again later" in result.output
    assert "Traceback" not in result.output


def test_bad_command_line_defers_the_mail(config: Path) -> None:
    result = run("--config", str(config), "deliver", "--recipent", "support@example.com")
    assert result.exit_code == 75, result.output
    assert "bad command line" in result.output


def test_no_sql_or_mail_text_in_stderr(tmp_path: Path) -> None:
    # A database without the schema: the INSERT fails and SQLAlchemy's message carries
    # the statement and its parameters (the raw mail).
    config = write_config(tmp_path)
    result = run("--config", str(config), "deliver", "--recipient", "support@example.com")
    assert result.exit_code == 75, result.output
    assert "no such table" in result.output
    for leak in ("INSERT", "SQL", "[parameters", "HP 4250", "corp.example.org"):
        assert leak not in result.output
