"""The CLI when the database is missing or down: one clear line, the right exit code."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from gateway.cli.main import main
from tests.harness import free_port, mail, write_config


def test_empty_database_says_what_to_do(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    for command in (["tickets", "list"], ["tickets", "show", "1"]):
        # `show` reads an SQLite file through sqlite3 itself (gateway.store.plain).
        result = CliRunner().invoke(main, ["--config", str(config), *command])
        assert result.exit_code == 1
        assert "db upgrade" in result.output and "Traceback" not in result.output
    upgraded = CliRunner().invoke(main, ["--config", str(config), "db", "upgrade"])
    assert upgraded.exit_code == 0
    listed = CliRunner().invoke(
        main, ["--config", str(config), "tickets", "list", "--format", "json"]
    )
    assert listed.exit_code == 0 and listed.output.strip() == "[]"


def test_database_down(tmp_path: Path) -> None:
    # Nothing listens on this port: a PostgreSQL server that is down.
    url = f"postgresql+psycopg://helpdesk@127.0.0.1:{free_port()}/helpdesk"
    config = write_config(tmp_path)
    config.write_text(
        config.read_text().replace('url = "sqlite:///var/helpdesk.db"', f'url = "{url}"')
    )
    for command in (["tickets", "list"], ["tickets", "show", "1"]):
        listed = CliRunner().invoke(main, ["--config", str(config), *command])
        assert listed.exit_code == 1 and listed.output.startswith("error: database:")
        assert "Connection refused (is the PostgreSQL server running?" in listed.output
        assert "Traceback" not in listed.output
    delivered = CliRunner().invoke(
        main, ["--config", str(config), "deliver"], input=mail("x", "y").as_bytes()
    )
    assert delivered.exit_code == 75  # EX_TEMPFAIL: the MTA keeps the mail and retries
    assert "try again later" in delivered.output


LISTINGS = (
    ["tickets", "list"],
    ["tickets", "list", "--title", "vpn"],
    ["tickets", "list", "--text", "%", "--format", "json"],
    ["tickets", "list", "--all", "--format", "csv"],
    ["tickets", "show", "1"],
)


def test_an_old_schema_says_what_to_do(tmp_path: Path) -> None:
    """A database of an older revision: the missing column or table named, and the
    upgrade that adds it; then the listing works."""
    from alembic import command

    from gateway.store.db import alembic_config

    config = write_config(tmp_path)
    (tmp_path / "var").mkdir()
    command.upgrade(alembic_config(f"sqlite:///{tmp_path / 'var' / 'helpdesk.db'}"), "0005")
    for args in LISTINGS[:4]:
        result = CliRunner().invoke(main, ["--config", str(config), *args])
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith("error: database: no such"), result.output
        assert "db upgrade" in result.output and "Traceback" not in result.output
    assert CliRunner().invoke(main, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    for args in LISTINGS[:4]:
        assert CliRunner().invoke(main, ["--config", str(config), *args]).exit_code == 0


def test_a_locked_database_says_what_to_do(tmp_path: Path) -> None:
    """A lock held past the configured wait: said so, with what to do about it."""
    import sqlite3

    config = write_config(tmp_path)
    text = config.read_text().replace("[database]\n", "[database]\nbusy_timeout_seconds = 0.1\n")
    config.write_text(text)
    assert CliRunner().invoke(main, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    holder = sqlite3.connect(tmp_path / "var" / "helpdesk.db", isolation_level=None)
    # Out of WAL, where a writer blocks no reader: a rollback journal's exclusive lock.
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        for args in LISTINGS:
            result = CliRunner().invoke(main, ["--config", str(config), *args])
            assert result.exit_code == 1, (args, result.output)
            assert result.output.startswith("error: database: database is locked")
            assert "try again" in result.output and "Traceback" not in result.output
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_postgresql_errors_say_what_to_do(tmp_path: Path) -> None:
    """PostgreSQL read without SQLAlchemy (gateway.store.pg_plain): a missing database,
    then an old schema, each one line with what to do; then the listing works."""
    from alembic import command
    from sqlalchemy import create_engine

    from gateway.store.db import alembic_config
    from tests.postgres import private_postgres

    with private_postgres() as server:
        url = server.rsplit("/", 1)[0] + "/desk"
        config = write_config(tmp_path)
        config.write_text(
            config.read_text().replace('url = "sqlite:///var/helpdesk.db"', f'url = "{url}"')
        )
        for args in LISTINGS:
            result = CliRunner().invoke(main, ["--config", str(config), *args])
            assert result.exit_code == 1, (args, result.output)
            assert 'database "desk" does not exist' in result.output, result.output
            assert "create the database" in result.output and "Traceback" not in result.output
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE DATABASE desk")
        engine.dispose()
        command.upgrade(alembic_config(url), "0005")
        # (The title's search finds no ticket there first, and reads no ticket's row.)
        for args in (LISTINGS[0], LISTINGS[2], LISTINGS[3]):
            result = CliRunner().invoke(main, ["--config", str(config), *args])
            assert result.exit_code == 1, (args, result.output)
            assert "does not exist (run `helpdesk db upgrade`)" in result.output, result.output
            assert "Traceback" not in result.output
        assert CliRunner().invoke(main, ["--config", str(config), "db", "upgrade"]).exit_code == 0
        for args in LISTINGS:
            result = CliRunner().invoke(main, ["--config", str(config), *args])
            expected = 1 if args[1] == "show" else 0  # no ticket 1: said so
            assert result.exit_code == expected, (args, result.output)
            assert "database" not in result.output and "Traceback" not in result.output


def test_a_wrong_postgresql_password_says_what_to_do(tmp_path: Path) -> None:
    """A login refused: said so, with the key to correct; the right password (with
    characters a URL escapes) reads."""
    from tests.postgres import private_postgres

    with private_postgres(password="s3cret/:@%") as url:
        config = write_config(tmp_path)
        base = config.read_text()
        wrong = url.replace("s3cret", "wrong")
        for given, code in ((wrong, 1), (url, 0)):
            config.write_text(base.replace('url = "sqlite:///var/helpdesk.db"', f'url = "{given}"'))
            if code == 0:
                assert (
                    CliRunner().invoke(main, ["--config", str(config), "db", "upgrade"]).exit_code
                    == 0
                )
            for args in LISTINGS[:2]:
                result = CliRunner().invoke(main, ["--config", str(config), *args])
                assert result.exit_code == code, (args, result.output)
                assert "Traceback" not in result.output
                if code:
                    assert "password authentication failed" in result.output, result.output
                    assert "check the user and password" in result.output
