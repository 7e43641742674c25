"""The head revisions read off the migration files (gateway.store.revisions) are
Alembic's; a file in another form is left to Alembic; the schema check built on them."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from gateway.store import revisions
from gateway.store.db import Database, alembic_config, schema_state, upgrade

TEMPLATE = '''"""{doc}"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = {revision!r}
down_revision: str | Sequence[str] | None = {parents!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass
'''


def _write(versions: Path, revision: str, parents: str | tuple[str, ...] | None) -> None:
    text_ = TEMPLATE.format(doc=revision, revision=revision, parents=parents)
    (versions / f"{revision}_x.py").write_text(text_)


def _alembic_heads(directory: Path) -> set[str]:
    return set(ScriptDirectory(str(directory)).get_heads())


def test_the_projects_heads_are_alembics() -> None:
    assert revisions.heads() == set(ScriptDirectory.from_config(alembic_config("")).get_heads())


def test_branches_and_a_merge_as_alembic_reads_them(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    _write(versions, "a1", None)
    _write(versions, "b2", "a1")
    _write(versions, "c3", ("a1",))
    assert revisions.heads(versions) == _alembic_heads(tmp_path) == {"b2", "c3"}
    _write(versions, "d4", ("b2", "c3"))
    assert revisions.heads(versions) == _alembic_heads(tmp_path) == {"d4"}
    # A comment after a value is still the plain form.
    (versions / "e5_x.py").write_text('revision = "e5"  # next\ndown_revision = "d4"  # merge\n')
    assert revisions.heads(versions) == _alembic_heads(tmp_path) == {"e5"}


@pytest.mark.parametrize(
    "lines",
    [
        'revision = "b2"; other = 1\ndown_revision = "a1"\n',
        'revision = "b2"\n',
        'revision = "b2"\nrevision = "b3"\ndown_revision = "a1"\n',
        'revision = NAME\ndown_revision = "a1"\n',
        'revision = "b2"\ndown_revision = (\n    "a1",\n)\n',
        'revision = "b2"\ndown_revision = "zz"\n',  # a parent with no file
    ],
)
def test_another_form_is_left_to_alembic(tmp_path: Path, lines: str) -> None:
    _write(tmp_path, "a1", None)
    (tmp_path / "b2_x.py").write_text(lines)
    assert revisions.heads(tmp_path) is None


def test_schema_state(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'desk.db'}")
    assert schema_state(db) == "empty"
    upgrade(db.url)
    assert schema_state(db) == "current"
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0023'"))
    assert schema_state(db) == "outdated"
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    assert schema_state(db) == "outdated"
    db.dispose()
