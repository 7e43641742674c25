"""Runners of several daemons on one PostgreSQL database: a live daemon's claim is its own.

A claim is committed before its batch is processed (so that a crash is noticed); another
daemon's runner must neither take such a message nor count it as interrupted, and must take
it over once the claimer's session is gone.
"""

from __future__ import annotations

import email.policy
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from gateway import spool
from gateway.daemon.runner import CLAIMED, MAX_ATTEMPTS, Runner
from gateway.parse import ParsedMessage
from gateway.pipeline import Context, Stage, build_pipeline
from gateway.services import Services
from gateway.settings import config as config_mod
from gateway.settings.config import Config
from gateway.store.db import Database, upgrade
from gateway.store.model import Inbound, Ticket, User
from tests.harness import mail, wait_until, write_config
from tests.postgres import private_postgres
from tests.test_runner import PIPELINE, put


class SlowRunner(Runner):
    """A runner that lets `between` happen after its claim, before its processing."""

    between: Callable[[], None] = staticmethod(lambda: None)

    def _parse_outside(self, ids: list[int]) -> dict[int, tuple[bytes, ParsedMessage, Any]]:
        self.between()
        return super()._parse_outside(ids)


@pytest.fixture()
def pg(tmp_path: Path) -> Iterator[tuple[Config, str]]:
    with private_postgres() as url:
        upgrade(url)
        path = write_config(tmp_path)
        path.write_text(
            path.read_text().replace('url = "sqlite:///var/helpdesk.db"', f'url = "{url}"')
        )
        yield config_mod.load(path), url


def rows(db: Database) -> dict[int, tuple[str, int]]:
    with db.read() as s:
        return {r.id: (r.state, r.attempts) for r in s.scalars(select(Inbound))}


def test_a_live_daemons_claim_is_neither_taken_nor_counted(pg: tuple[Config, str]) -> None:
    cfg, url = pg
    dbs = [Database(url) for _ in range(4)]
    try:
        ids = put(dbs[0], "one", "two", "three")
        owner = SlowRunner(dbs[0], Services.from_config(cfg), pipeline=PIPELINE)
        others = [Runner(db, Services.from_config(cfg), pipeline=PIPELINE) for db in dbs[1:]]
        seen: list[int] = []

        def meanwhile() -> None:
            # The other daemons look while the owner parses its claimed batch; before, each
            # took a claimed message "alone" as if its claimer had crashed, adding to its
            # interruptions until innocent mail was quarantined.
            for _ in range(MAX_ATTEMPTS + 1):
                seen.extend(other.run_once() for other in others)
            seen.append(len([1 for state, n in rows(dbs[0]).values() if n != CLAIMED]))

        owner.between = meanwhile
        assert owner.run_once() == 3
        assert seen == [0] * (3 * (MAX_ATTEMPTS + 1)) + [0]
        assert rows(dbs[0]) == {i: ("done", CLAIMED) for i in ids}
        # Nothing is left locked once the batch has committed.
        with dbs[0].read() as s:
            held = s.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"))
        assert held == 0
    finally:
        for db in dbs:
            db.dispose()


def test_the_claims_of_a_dead_daemon_are_taken_over(pg: tuple[Config, str]) -> None:
    cfg, url = pg
    first, second, admin = Database(url), Database(url), Database(url)
    try:
        ids = put(first, "a", "b", "c", "d")
        fresh = put(first, "e")
        dying = SlowRunner(first, Services.from_config(cfg), pipeline=PIPELINE)
        survivor = Runner(second, Services.from_config(cfg), pipeline=PIPELINE)

        class Killed(BaseException):
            pass

        def die() -> None:
            # SIGKILL of the claimer: the server ends its sessions, and their locks go.
            with admin.write() as s:
                s.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks"
                        " WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
                    )
                )
            raise Killed

        dying.between = die
        with pytest.raises(Killed):
            dying.run_once(limit=4)
        assert rows(admin) == {**{i: ("new", CLAIMED) for i in ids}, fresh[0]: ("new", 0)}
        # Each message of the dead daemon's batch is processed alone, once; then the rest.
        assert survivor.run_once() == 1
        assert survivor.drain() == 4
        assert rows(admin) == {
            **{i: ("done", CLAIMED + 2) for i in ids},
            fresh[0]: ("done", CLAIMED),
        }
    finally:
        for db in (first, second, admin):
            db.dispose()


def test_two_copies_processed_at_once_by_two_daemons_make_one_ticket(
    pg: tuple[Config, str],
) -> None:
    """A daemon stored a mail and died before its 250; the sender gave it to another.
    Two daemons then process the two copies at the same moment: one ticket, one duplicate."""
    cfg, url = pg
    first_db, second_db, admin = Database(url), Database(url), Database(url)
    try:
        raw = mail("Не печатает принтер", "Принтер на 3 этаже не печатает.").as_bytes(
            policy=email.policy.SMTP
        )
        with admin.write() as s:
            ids = [spool.store(s, raw, source="smtp").id for _ in range(2)]
        second = Runner(second_db, Services.from_config(cfg))
        other: list[int] = []

        def waiting_for_the_first() -> bool:
            with admin.read() as s:
                blocked = s.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
            return bool(blocked) or bool(other)

        def meanwhile(ctx: Context) -> None:
            # The first daemon is past dedupe with the first copy, not yet committed; the
            # second daemon takes the second copy now.
            if ctx.inbound.id != ids[0]:
                return
            thread = threading.Thread(target=lambda: other.append(second.run_once()))
            thread.start()
            wait_until(waiting_for_the_first, 30, "the second daemon to reach dedupe")
            threads.append(thread)

        threads: list[threading.Thread] = []
        stages = list(build_pipeline())
        at = [s.name for s in stages].index("dedupe") + 1
        stages.insert(at, Stage("meanwhile", meanwhile))
        first = Runner(first_db, Services.from_config(cfg), pipeline=stages)
        assert first.run_once(limit=1) == 1
        for thread in threads:
            thread.join(60)
        assert other == [1]
        with admin.read() as s:
            assert s.scalar(select(func.count()).select_from(Ticket)) == 1
            assert [r.state for r in s.scalars(select(Inbound).order_by(Inbound.id))] == [
                "done",
                "duplicate",
            ]
    finally:
        for db in (first_db, second_db, admin):
            db.dispose()


def test_a_new_senders_first_mails_in_two_daemons_at_once(pg: tuple[Config, str]) -> None:
    """Both daemons register the same new person in transactions open at once: the second
    waits for the first and takes its user; nothing is quarantined."""
    cfg, url = pg
    first_db, second_db, admin = Database(url), Database(url), Database(url)
    try:
        sender = "Ольга Смирнова <olga@lab.test>"
        with admin.write() as s:
            ids = [
                spool.store(
                    s,
                    mail(subject, "Не работает", sender=sender).as_bytes(policy=email.policy.SMTP),
                    source="smtp",
                ).id
                for subject in ("VPN", "Почта")
            ]
        second = Runner(second_db, Services.from_config(cfg))
        other: list[int] = []
        threads: list[threading.Thread] = []

        def waiting_for_the_first() -> bool:
            with admin.read() as s:
                blocked = s.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
            return bool(blocked) or bool(other)

        def meanwhile(ctx: Context) -> None:
            # The first daemon has registered Olga, not yet committed.
            if ctx.inbound.id != ids[0]:
                return
            thread = threading.Thread(target=lambda: other.append(second.run_once()))
            thread.start()
            threads.append(thread)
            wait_until(waiting_for_the_first, 30, "the second daemon to register her too")

        stages = list(build_pipeline())
        stages.insert([s.name for s in stages].index("store") + 1, Stage("meanwhile", meanwhile))
        first = Runner(first_db, Services.from_config(cfg), pipeline=stages)
        assert first.run_once(limit=1) == 1
        for thread in threads:
            thread.join(60)
        assert other == [1]
        with admin.read() as s:
            assert [r.state for r in s.scalars(select(Inbound).order_by(Inbound.id))] == [
                "done",
                "done",
            ]
            assert list(s.scalars(select(User.email).where(User.email == "olga@lab.test"))) == [
                "olga@lab.test"
            ]
            tickets = list(s.scalars(select(Ticket).order_by(Ticket.id)))
            assert [t.subject for t in tickets] == ["VPN", "Почта"]
            assert len({t.requester_id for t in tickets}) == 1
    finally:
        for db in (first_db, second_db, admin):
            db.dispose()


def test_the_runners_statements_on_inbound_use_its_indexes(pg: tuple[Config, str]) -> None:
    """The claim (with its look at pg_locks) and the batch's reads plan on an index of
    inbound when the planner may not scan it whole, so they stay flat as the spool grows."""
    cfg, url = pg
    db = Database(url)
    sent: list[tuple[str, Any]] = []

    def listen(_c: object, _cur: object, sql: str, params: Any, *_: object) -> None:
        sent.append((sql, params))

    try:
        put(db, "one", "two")
        event.listen(db.engine, "before_cursor_execute", listen)
        assert Runner(db, Services.from_config(cfg), pipeline=PIPELINE).run_once() == 2
        event.remove(db.engine, "before_cursor_execute", listen)
        reads = [(q, p) for q, p in sent if q.lstrip().startswith("SELECT") and "inbound" in q]
        assert any("pg_locks" in q for q, _ in reads)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            for sql, params in reads:
                plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql, params))
                assert "Seq Scan on inbound" not in plan, f"{plan}  <-  {sql}"
    finally:
        db.dispose()
