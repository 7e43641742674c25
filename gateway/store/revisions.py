"""The schema's head revisions, read off the migration files without importing Alembic.

The daemon and `check-config` compare the database's revision with the newest one at
every start: Alembic's script directory (importing Alembic, then every migration module,
each with SQLAlchemy's DDL machinery) cost 0.3-0.4 s of CPU of the daemon's start. Each
migration names itself and its parent on two lines of its own (`revision: str = "0024"`,
`down_revision: ... = "0023"`); those are read here. A file in any other form gets
None, and Alembic decides (gateway.store.db.schema_state).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

VERSIONS = Path(__file__).parent / "migrations" / "versions"

_ASSIGNED = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=(.*)$", re.MULTILINE)


def _revision_of(source: str) -> tuple[str, tuple[str, ...]] | None:
    """A migration's revision and its parents, if both are plain literals on a line."""
    found: dict[str, object] = {}
    for name, value in _ASSIGNED.findall(source):
        if name in found:
            return None
        try:
            found[name] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):  # a name, a statement after it, several lines
            return None
    revision, parents = found.get("revision"), found.get("down_revision", ...)
    if not isinstance(revision, str) or parents is ...:
        return None
    if parents is None:
        return revision, ()
    if isinstance(parents, str):
        return revision, (parents,)
    if isinstance(parents, tuple | list) and all(isinstance(p, str) for p in parents):
        return revision, tuple(parents)
    return None


def heads(versions: Path = VERSIONS) -> set[str] | None:
    """The revisions no other migration follows; None if a file is not in the plain form."""
    parents: dict[str, tuple[str, ...]] = {}
    for path in sorted(versions.glob("*.py")):
        found = _revision_of(path.read_text(encoding="utf-8"))
        if found is None or found[0] in parents:
            return None
        parents[found[0]] = found[1]
    followed = {p for ps in parents.values() for p in ps}
    if not followed <= set(parents):
        return None  # a parent with no file: Alembic's error to report
    return set(parents) - followed
