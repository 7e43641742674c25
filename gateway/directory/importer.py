"""Applying directory records: idempotent (a re-import of the same file changes nothing),
with a report of what was added and what changed, field by field.

Every existing entry is read once and compared in memory; new and changed rows are written
in batches, so that 10,000 people take seconds. Entries absent from the file are kept (a
file may hold one department only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from gateway.directory.records import Problem, Record
from gateway.store.model import DirectoryEntry, utcnow

BATCH = 1000
_COMPARED = ("name", "fields", "equipment", "licences", "domains", "secret")


@dataclass
class Change:
    kind: str
    key: str
    fields: list[str]


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "changed": [{"kind": c.kind, "key": c.key, "fields": c.fields} for c in self.changed],
            "unchanged": self.unchanged,
            "problems": [{"where": p.where, "reason": p.reason} for p in self.problems],
        }


def _values(record: Record) -> dict[str, Any]:
    return {
        "name": record.name,
        "fields": dict(sorted(record.fields.items())),
        "equipment": record.equipment,
        "licences": record.licences,
        "domains": record.domains,
        "secret": record.secret,
    }


def apply(
    session: Session,
    records: Iterable[Record],
    actor: str,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Write `records` in the caller's transaction; `progress(n)` after each n records."""
    report = ImportReport()
    existing: dict[tuple[str, str], dict[str, Any]] = {}
    for row in session.execute(
        select(DirectoryEntry.id, DirectoryEntry.kind, DirectoryEntry.key, *_columns())
    ):
        existing[(row.kind, row.key)] = {"id": row.id, **{c: getattr(row, c) for c in _COMPARED}}
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    done = 0
    for record in records:
        done += 1
        ident = (record.kind, record.key)
        if ident in seen:
            report.problems.append(Problem(record.where, f"{record.key} is listed twice"))
            continue
        seen.add(ident)
        values = _values(record)
        old = existing.get(ident)
        if old is None:
            new_rows.append(
                {"kind": record.kind, "key": record.key, **values, "updated_at": now}
                | {"updated_by": actor}
            )
            report.added.append(record.key)
        else:
            diff = [c for c in _COMPARED if old[c] != values[c]]
            if diff:
                changed_rows.append(
                    {"b_id": old["id"], **values, "updated_at": now, "updated_by": actor}
                )
                report.changed.append(Change(record.kind, record.key, _detail(old, values)))
            else:
                report.unchanged += 1
        if progress is not None and done % 100 == 0:
            progress(100)
    if progress is not None and done % 100:
        progress(done % 100)
    for start in range(0, len(new_rows), BATCH):
        session.execute(insert(DirectoryEntry), new_rows[start : start + BATCH])
    if changed_rows:
        stmt = update(DirectoryEntry.__table__).where(  # type: ignore[arg-type]
            DirectoryEntry.__table__.c.id == bindparam("b_id")
        )
        for start in range(0, len(changed_rows), BATCH):
            session.connection().execute(stmt, changed_rows[start : start + BATCH])
    return report


def _columns() -> list[Any]:
    return [getattr(DirectoryEntry, c) for c in _COMPARED]


def _detail(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The names of what changed: `phone`, `equipment`, ... (field by field inside fields)."""
    out = [c for c in _COMPARED if c != "fields" and old[c] != new[c]]
    of, nf = old["fields"] or {}, new["fields"]
    out += sorted(k for k in set(of) | set(nf) if of.get(k) != nf.get(k))
    return out
