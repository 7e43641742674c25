"""The statements the runner issues per message, with their time and SQLite query plan.

    .venv/bin/python bench/runner_queries.py [DB] [--new 300] [--replies 100] [--top 40]

Processes `--new` new mails and then `--replies` threaded replies (bench/scale.py's mails)
into a copy of the SQLite file DB (an empty database without one), recording every
statement the runner sends. Prints each distinct statement with how many times it ran per
message, its mean time, and its `EXPLAIN QUERY PLAN` on the same database with the last
parameters it ran with. A plan that scans a table ("SCAN t" without a covering index) or
sorts in a temporary b-tree is marked (`!`, `s`: see _flag), a scan's cost grows with the
history.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import event  # noqa: E402

from bench.scale import CONFIG, _mail  # noqa: E402
from gateway import spool  # noqa: E402
from gateway.daemon.runner import Runner  # noqa: E402
from gateway.daemon.supervisor import prepare_database  # noqa: E402
from gateway.services import Services  # noqa: E402
from gateway.settings import config as config_mod  # noqa: E402
from gateway.similar.warm import warm  # noqa: E402
from gateway.store.db import upgrade  # noqa: E402
from tests.harness import write_config  # noqa: E402


@dataclass
class Seen:
    count: int = 0
    seconds: float = 0.0
    params: Any = None
    many: bool = False
    plans: list[str] = field(default_factory=list)


def _record(engine: Any, seen: dict[str, Seen]) -> None:
    started: list[float] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before(*_: Any) -> None:
        started.append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(_c: Any, _cur: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        s = seen.setdefault(sql, Seen())
        s.count += 1
        s.seconds += time.perf_counter() - started.pop()
        s.params, s.many = params, many


def _spool(db: Any, mails: Sequence[bytes]) -> None:
    with db.write() as s:
        for raw in mails:
            spool.store(
                s, raw, source="smtp", mail_from="x@bench.example", rcpt_to=["support@example.com"]
            )


def _plan(conn: Any, sql: str, seen: Seen) -> list[str]:
    head = sql.lstrip().split(None, 1)[0].upper()
    # An INSERT's plan lists the foreign-key checks of a parent row's deletion, which an
    # insert never runs: only reads, updates and deletes are explained.
    if head not in ("SELECT", "UPDATE", "DELETE", "WITH") or seen.params is None:
        return []
    params = seen.params[0] if seen.many else seen.params
    try:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
    except Exception as exc:  # a statement needing its transaction's state, say
        return [f"(no plan: {exc.__class__.__name__})"]
    return [str(r[-1]) for r in rows]


def _grows(line: str) -> bool:
    # A covering-index scan ("SCAN t USING COVERING INDEX") is still a walk of the whole
    # index: it counts too, except over the small tables named below.
    return line.startswith("SCAN ") and not any(f"SCAN {t}" in line for t in _SMALL)


def _flag(plans: list[str]) -> str:
    """`!` a scan, `s` a sort in a temporary b-tree (of the rows an index found: its size
    is that of one ticket's rows, say, unless the plan also scans), else blank."""
    if any(_grows(p) for p in plans):
        return "!"
    return "s" if any("TEMP B-TREE" in p for p in plans) else " "


# Tables whose size does not follow the history (config mirrors, one row per agent).
_SMALL = ("alembic_version", "CONSTANT ROW", "(subquery")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db", nargs="?", type=Path)
    ap.add_argument("--new", type=int, default=300)
    ap.add_argument("--replies", type=int, default=100)
    ap.add_argument("--top", type=int, default=40)
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="runner-queries-"))
    config = write_config(work, CONFIG)
    if opts.db is not None:
        shutil.copy(opts.db, work / "helpdesk.db")
        url = f"sqlite:///{work / 'helpdesk.db'}"
        config.write_text(
            config.read_text().replace('url = "sqlite:///var/helpdesk.db"', f'url = "{url}"')
        )
        upgrade(url)  # a file built by an earlier revision gets this one's indexes
    cfg = config_mod.load(config)
    db = prepare_database(cfg)
    runner = Runner(db, Services.from_config(cfg))
    with db.read() as session:
        warm(session, cfg.database_url, cfg.suggestions.categories)  # as the daemon at start
    seen: dict[str, Seen] = {}
    _spool(db, [_mail(i) for i in range(opts.new)])
    _spool(db, [_mail(i, f"<n{i * 3}@bench.example>") for i in range(opts.replies)])
    _record(db.engine, seen)
    t0 = time.perf_counter()
    done = runner.drain()
    wall = time.perf_counter() - t0
    # The EXPLAINs below are recorded too, into the emptied dict.
    seen_now = dict(seen)
    seen.clear()
    with db.engine.connect() as conn:
        for sql, s in seen_now.items():
            s.plans = _plan(conn, sql, s)
    db.dispose()
    shutil.rmtree(work)
    total = sum(s.seconds for s in seen_now.values())
    print(
        f"{done} messages in {wall:.1f} s ({done / wall:.1f}/s); {len(seen_now)} distinct "
        f"statements, {sum(s.count for s in seen_now.values()) / done:.1f} per message, "
        f"{total:.1f} s in the database"
    )
    ranked = sorted(seen_now.items(), key=lambda kv: -kv[1].seconds)
    for sql, s in ranked[: opts.top]:
        flag = _flag(s.plans)
        print(
            f"\n{flag} {s.count / done:6.2f}/msg {s.seconds / s.count * 1000:8.3f} ms "
            f"{s.seconds:6.2f} s  {' '.join(sql.split())[:300]}"
        )
        for p in s.plans:
            print(f"      {p}")
    growing = [sql for sql, s in seen_now.items() if _flag(s.plans) == "!"]
    print(f"\n{len(growing)} statement(s) whose plan grows with the history")


if __name__ == "__main__":
    main()
