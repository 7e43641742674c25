"""What a CLI call imports: `tickets show` and `tickets list` load none of the heavy
modules only other commands use (start-up time without timing: the modules loaded are
counted in a fresh interpreter, as `helpdesk` runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from gateway import spool
from gateway.daemon.runner import Runner
from gateway.daemon.supervisor import prepare_database
from gateway.services import Services
from gateway.settings import config as config_mod
from tests.harness import REPO, write_config
from tests.postgres import private_postgres

# Each costs a CLI call from 20 ms (APScheduler) to a second (scikit-learn); the ORM and
# its model, Alembic and SQLAlchemy's PostgreSQL dialect (loaded by the model's
# PostgreSQL-only index options) 100-300 ms together; rich, for progress bars only
# (gateway.cli.table draws the tables), 60-70 ms and as much again to lay out a page.
HEAVY = (
    "sklearn",
    "numpy",
    "matplotlib",
    "mailparser",
    "jinja2",
    "apscheduler",
    "aiosmtpd",
    "imapclient",
    "html2text",
    "nh3",
    "alembic",
    "sqlalchemy.orm",
    "sqlalchemy.dialects.postgresql",
    "gateway.store.model",
    "gateway.pipeline",
    "classifier",
    "rich",
)

# The CLI as `python -m gateway` runs it; then the exit code and the modules it loaded.
SCRIPT = """
import json, sys
from gateway.cli.main import main
try:
    main(sys.argv[2:], prog_name="helpdesk")
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def _desk(path: Path) -> Path:
    """The desk of the config at `path` set up with one ticket (HD-1), taken by the real
    pipeline."""
    cfg = config_mod.load(path)
    db = prepare_database(cfg)
    msg = EmailMessage()
    msg["From"] = "Ivan Petrov <ivan@corp.example.ru>"
    msg["To"] = "support@example.com"
    msg["Subject"] = "Принтер не печатает"
    msg.set_content("Принтер на третьем этаже не печатает.")
    with db.write() as s:
        spool.store(s, msg.as_bytes(), source="smtp", mail_from="", rcpt_to=[])
    Runner(db, Services.from_config(cfg)).drain()
    db.dispose()
    return path


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite desk with one ticket."""
    return _desk(write_config(tmp_path_factory.mktemp("startup")))


@pytest.fixture(scope="module")
def pg_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A PostgreSQL desk with one ticket, on a private cluster."""
    with private_postgres() as url:
        path = write_config(tmp_path_factory.mktemp("startup-pg"))
        path.write_text(
            path.read_text().replace('url = "sqlite:///var/helpdesk.db"', f'url = "{url}"')
        )
        yield _desk(path)


def _loaded(config: Path, tmp_path: Path, *args: str) -> set[str]:
    report = tmp_path / "modules.json"
    argv = [sys.executable, "-c", SCRIPT, str(report), "--config", str(config), *args]
    subprocess.run(argv, cwd=REPO, check=True, capture_output=True)
    found = json.loads(report.read_text())
    assert found["code"] in (0, None), found["code"]
    return set(found["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


# Every form of the listing and of `show`: each filter's SQL text.
FORMS = [
    ("tickets", "show", "1"),
    ("tickets", "show", "HD-1", "--history", "--format", "json"),
    ("tickets", "list", "--format", "json"),
    ("tickets", "list", "--text", "принтер", "--open", "--format", "csv"),
    ("tickets", "list", "--title", "принт", "--all", "--format", "json"),
    # A text without a word: the LIKE fallback.
    ("tickets", "list", "--text", "%", "--format", "json"),
    ("tickets", "list", "--requester", "ivan@corp.example.ru", "--format", "json"),
    ("tickets", "list", "--assignee", "bob@example.com", "--closed", "--format", "csv"),
    ("tickets", "list", "--indicator", "green", "--status", "new", "--format", "json"),
    ("tickets", "list", "--category", "x", "--criticality", "high", "--format", "json"),
    ("tickets", "list", "--updated-since", "2020-01-01", "--extra", "--format", "json"),
    ("tickets", "list", "--limit", "1", "--offset", "1", "--before", "HD-9"),
    ("tickets", "list", "--all", "--format", "csv"),
    ("tickets", "list", "--id", "1"),
]


@pytest.mark.parametrize("args", FORMS)
def test_tickets_commands_import_nothing_heavy(
    config: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    loaded = _loaded(config, tmp_path, *args)
    assert "sqlite3" in loaded  # the call did read the database
    # An SQLite file is read without SQLAlchemy (gateway.store.plain).
    assert sorted(m for m in loaded if m.split(".")[0] == "sqlalchemy") == []
    assert _heavy(loaded) == []


@pytest.mark.parametrize("args", FORMS)
def test_postgresql_commands_import_no_sqlalchemy(
    pg_config: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    loaded = _loaded(pg_config, tmp_path, *args)
    assert "psycopg" in loaded  # the call did read the database
    # PostgreSQL is read through psycopg itself (gateway.store.pg_plain), and only its
    # core: not its connection pool.
    assert sorted(m for m in loaded if m.split(".")[0] in ("sqlalchemy", "psycopg_pool")) == []
    assert _heavy(loaded) == []


def test_table_listing_imports_nothing_heavy(config: Path, tmp_path: Path) -> None:
    loaded = _loaded(config, tmp_path, "tickets", "list")
    assert "gateway.cli.table" in loaded  # the table was drawn, by the CLI's own module
    assert "sqlalchemy" not in loaded
    assert _heavy(loaded) == []


def test_help_lists_every_command(config: Path) -> None:
    """Every lazily loaded command is listed (click loads each one for its help line)."""
    from gateway.cli.main import LAZY_GROUPS

    shown = subprocess.run(
        [sys.executable, "-m", "gateway", "--config", str(config), "--help"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for name in [*LAZY_GROUPS, "check-config", "db", "run"]:
        assert f"  {name} " in shown, name
