"""Every statement of the report and its charts is planned on an index (SQLite's EXPLAIN
QUERY PLAN): no scan of a table that grows with the history, and the measures of opened
and resolved tickets read their covering index alone, never the table rows."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import event

from gateway.reports import chartdata
from gateway.reports.build import build
from gateway.reports.figures import BY
from gateway.settings import config as config_mod
from gateway.store.db import Database
from tests.listing.test_plans import GROWING
from tests.reports.test_report_figures import PERIOD, desk  # noqa: F401  (the fixture)

_SCAN = re.compile(r"\bSCAN (\w+)(?! USING)")


def _statements(db: Database, run: Any) -> list[tuple[str, Any]]:
    sent: list[tuple[str, Any]] = []

    def listen(_c: object, _cur: object, sql: str, params: Any, *_: object) -> None:
        sent.append((sql, params))

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        with db.read() as session:
            run(session)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    return [(s, p) for s, p in sent if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def _plan(db: Database, sql: str, params: Any) -> str:
    with db.engine.connect() as conn:
        return " | ".join(
            str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
        )


@pytest.mark.parametrize("by", [None, *BY])
def test_every_report_statement_is_on_an_index(desk: Any, by: str | None) -> None:  # noqa: F811
    config, db = desk
    cfg = config_mod.load(config)
    statements = _statements(
        db, lambda s: (build(s, cfg, PERIOD, by), chartdata.collect(s, cfg, PERIOD))
    )
    assert len(statements) > 10
    scans = []
    covered = 0
    for sql, params in statements:
        plan = _plan(db, sql, params)
        scans += [f"{m.group(0)} <- {sql}" for m in _SCAN.finditer(plan) if m.group(1) in GROWING]
        ranged = "tickets.created_at >=" in sql or "tickets.resolved_at >=" in sql
        used = re.findall(r"USING (COVERING )?INDEX (ix_tickets_report_\w+)", plan)
        if ranged and used:
            covered += 1
            assert all(c for c, _ in used), plan
    assert scans == []
    assert covered >= 5


def test_the_escalation_check_reads_only_the_due_tickets(desk: Any) -> None:  # noqa: F811
    import datetime as dt

    from gateway.escalation.check import run_check
    from gateway.services import Services

    config, db = desk
    cfg = config_mod.load(config)
    services = Services.from_config(cfg)
    sent: list[tuple[str, Any]] = []

    def listen(_c: object, _cur: object, sql: str, params: Any, *_: object) -> None:
        sent.append((sql, params))

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        with db.write() as session:
            run_check(session, services, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    selects = [(s, p) for s, p in sent if s.lstrip().upper().startswith("SELECT")]
    assert selects
    plans = [_plan(db, s, p) for s, p in selects]
    assert "ix_tickets_next_escalation" in plans[0]
    assert [p for p in plans if any(m.group(1) in GROWING for m in _SCAN.finditer(p))] == []
