"""The listing's rows, filter by filter and in combination, against a model of what each
filter means (SPEC), on a varied desk: through sqlite3 as the CLI reads an SQLite file,
through SQLAlchemy as PostgreSQL and `#my` read, and on PostgreSQL. Each filter narrows
some combination, so a filter the SQL dropped or mistook fails here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import random
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import selectinload

from gateway.store import listing, plain
from gateway.store.formats import iso
from gateway.store.model import Ticket
from gateway.store.tickets import create_ticket, get_or_create_user
from gateway.store.views import TicketFilter
from tests.listing.test_fts_walk import _message
from tests.listing.test_listing import as_json
from tests.postgres import private_postgres
from tests.spam.conftest import Desk

REQUESTERS = (
    "ivan@corp.example.ru",
    "olga@почта.рф",
    "bob@mail.example.com",
    "kim@lab.test",
    "ana@uni.example",
    "li@例え.test",
)
AGENTS = ("alice@example.com", "bob@example.com", "zoe@helpdesk.test")
SUBJECTS = (
    "Принтер не печатает",
    "VPN drops every hour",
    "打印机坏了",
    "Пароль от почты",
    "mailbox full: 100% quota",
    "écran noir — urgent",
    "Drucker offline",
    "vpn-client crash",
)
BODIES = (
    "Принтер на третьем этаже не печатает.",
    "The VPN client drops the tunnel",
    "请帮忙 打印机 卡纸",
    "Сбросьте пароль, пожалуйста",
    "quota exceeded, see #42",
    "l'écran reste noir",
    "zebra stripes on every page",
)
STATUSES = ("new", "open", "waiting", "resolved")
CATEGORIES = ("", "printing", "network", "accounts")
CRITICALITIES = ("low", "medium", "high", "critical")
SINCE = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def fill(desk: Desk, n: int = 160, seed: int = 17) -> None:
    rng = random.Random(seed)
    with desk.db.write() as s:
        requesters = [get_or_create_user(s, a, "") for a in REQUESTERS]
        agents = [get_or_create_user(s, a, "", role="agent") for a in AGENTS]
        for i in range(n):
            subject = f"{rng.choice(SUBJECTS)} {i}"
            t = create_ticket(s, subject=subject, requester=rng.choice(requesters), source="smtp")
            t.status = rng.choice(STATUSES)
            t.closed = rng.random() < 0.3
            t.last_public_by = rng.choice(("agent", "requester"))
            t.assignee_id = rng.choice([None, *(a.id for a in agents)])
            t.category = rng.choice(CATEGORIES)
            t.criticality = rng.choice(CRITICALITIES)
            t.extra = rng.random() < 0.2
            t.updated_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=i * 2)
            for _ in range(rng.randint(0, 3)):
                _message(s, t, f"{rng.choice(BODIES)} n{i}")


# What each ticket of the desk is, read back with the ORM, newest first.
Model = list[dict[str, Any]]


def _fold(text: str) -> str:
    # As the FTS5 tokenizer folds (unicode61 remove_diacritics 2): case and accents.
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[^\W_]+", _fold(text)))


def _holds(text: str, query: str) -> bool:
    """The words of `query`, each a prefix, one after another in `text`; a query without
    a word: the text anywhere, any case (LIKE)."""
    wanted = _tokens(query)
    if not wanted:
        return query.lower() in text.lower()
    have = _tokens(text)
    return any(
        all(have[i + j].startswith(w) for j, w in enumerate(wanted))
        for i in range(len(have) - len(wanted) + 1)
    )


def _means(f: TicketFilter) -> Callable[[dict[str, Any]], bool]:
    def passes(t: dict[str, Any]) -> bool:
        grey = t["closed"]
        red = not grey and t["last_public_by"] == "agent"
        green = not grey and t["last_public_by"] == "requester"
        checks = [
            f.id is None or t["id"] == f.id,
            not f.status or t["status"] == f.status,
            f.open is None or t["closed"] is (not f.open),
            not f.indicator or {"grey": grey, "red": red, "green": green}[f.indicator],
            not f.title or _holds(t["subject"], f.title),
            not f.text
            or _holds(t["subject"], f.text)
            or any(_holds(m, f.text) for m in t["texts"]),
            not f.requester or t["requester"] == f.requester.strip().lower(),
            not f.assignee or t["assignee"] == f.assignee.strip().lower(),
            not f.category or t["category"] == f.category,
            not f.criticality or t["criticality"] == f.criticality,
            f.updated_since is None or t["updated"] >= f.updated_since,
            f.before is None or t["id"] < f.before,
            not f.extra or t["extra"],
        ]
        return all(checks)

    return passes


def model_of(desk: Desk) -> Model:
    rows = []
    with desk.db.read() as s:
        query = select(Ticket).options(selectinload(Ticket.messages)).order_by(Ticket.id.desc())
        for t in s.scalars(query):
            texts = [m.full_text for m in t.messages]
            red = t.last_public_by == "agent"
            rows.append(
                {
                    "id": t.id,
                    "tag": f"HD-{t.id}",
                    **{k: getattr(t, k) for k in ("subject", "status", "closed", "criticality")},
                    **{k: getattr(t, k) for k in ("category", "extra", "breached")},
                    "requester": t.requester.email,
                    "assignee": t.assignee.email if t.assignee else None,
                    "created_at": iso(t.created_at),
                    "updated_at": iso(t.updated_at),
                    "messages": len(texts),
                    "indicator": "grey" if t.closed else "red" if red else "green",
                    "last_public_by": t.last_public_by,
                    "texts": texts,
                    "updated": t.updated_at,
                }
            )
    return rows


# Each field's values: some select a few tickets, some none (no such user, no such word).
VALUES: dict[str, list[Any]] = {
    "id": [5, 10_000],
    "status": list(STATUSES),
    "open": [True, False],
    "indicator": ["grey", "green", "red"],
    "title": ["принтер", "ПРИНТ", "vpn", "vpn clie", "打印", "ecran", "—", "%", "nothing"],
    "text": ["zebra", "пароль", "quota", "42", "#", "drops the", "n17", "tunnel vpn"],
    "requester": [*REQUESTERS, " OLGA@ПОЧТА.РФ ", "nobody@x.test"],
    "assignee": [*AGENTS, "nobody@x.test"],
    "category": [c for c in CATEGORIES if c],
    "criticality": list(CRITICALITIES),
    "updated_since": [SINCE],
    "before": [80],
    "extra": [True],
}


def _filters() -> list[TicketFilter]:
    found = [TicketFilter()]
    found += [TicketFilter(**{name: v}) for name, values in VALUES.items() for v in values]
    rng = random.Random(5)
    for _ in range(120):
        names = rng.sample(sorted(VALUES), rng.randint(2, 4))
        found.append(TicketFilter(**{name: rng.choice(VALUES[name]) for name in names}))
    return found


FILTERS = _filters()


def _searches_words(f: TicketFilter) -> bool:
    return any(q and re.search(r"\w", q) for q in (f.title, f.text))


def expected(model: Model, f: TicketFilter) -> list[dict[str, Any]]:
    keys = ("last_public_by", "texts", "updated")
    passes = _means(f)
    return [{k: v for k, v in t.items() if k not in keys} for t in model if passes(t)]


def test_every_filter_narrows_some_combination(sqlite_model: tuple[Desk, Model]) -> None:
    """Dropping any one filter from the SQL changes some combination's rows."""
    _desk, model = sqlite_model
    found: dict[str, list[int]] = {}

    def ids(f: TicketFilter) -> list[int]:
        if repr(f) not in found:
            found[repr(f)] = [t["id"] for t in model if _means(f)(t)]
        return found[repr(f)]

    narrowing = set()
    for f in FILTERS:
        for field in dataclasses.fields(TicketFilter):
            unset: dict[str, Any] = {field.name: field.default}
            if ids(f) != ids(dataclasses.replace(f, **unset)):
                narrowing.add(field.name)
    assert narrowing == {field.name for field in dataclasses.fields(TicketFilter)}
    assert 10 < len(expected(model, TicketFilter(text="zebra"))) < len(model)


def _check(read: Any, model: Model, filters: list[TicketFilter]) -> None:
    for f in filters:
        rows = expected(model, f)
        page = listing.page(read, f, "HD", limit=7, offset=2)
        assert page.rows == rows[2:9], f
        assert (page.more, page.capped) == (max(0, len(rows) - 9), False), f
        assert list(listing.stream(read, f, "HD")) == rows, f


def test_sqlite3_reads_what_the_filters_mean(sqlite_model: tuple[Desk, Model]) -> None:
    """The CLI's path: an SQLite file through sqlite3, no SQLAlchemy."""
    desk, model = sqlite_model
    with plain.reader(desk.cfg.database_url) as read:
        assert read.dialect == "sqlite"
        _check(read, model, FILTERS)


def test_sqlalchemy_reads_the_same(sqlite_model: tuple[Desk, Model]) -> None:
    """The same statements through an SQLAlchemy session (PostgreSQL's and `#my`'s path)."""
    desk, model = sqlite_model
    with desk.db.read() as s:
        _check(s, model, FILTERS)
        for f in FILTERS[::7]:
            ids = [t["id"] for t in expected(model, f)]
            assert [t.id for t in listing.tickets(s, f, 5)] == ids[:5], f


def test_postgresql_reads_what_the_filters_mean(pg_model: tuple[Desk, Model]) -> None:
    """PostgreSQL through its plain reader (SQLAlchemy's text()), as the CLI reads it;
    its searches stem words (English, Russian), so only the LIKE fallback is modelled."""
    desk, model = pg_model
    with plain.reader(desk.cfg.database_url) as read:
        assert read.dialect == "postgresql"
        _check(read, model, [f for f in FILTERS if not _searches_words(f)])


def _args(f: TicketFilter) -> list[str]:
    args = []
    for field in dataclasses.fields(TicketFilter):
        value = getattr(f, field.name)
        option = "--" + field.name.replace("_", "-")
        if field.name == "open" and value is not None:
            args.append("--open" if value else "--closed")
        elif value is None or value is False:
            continue
        elif value is True:
            args.append(option)
        elif isinstance(value, dt.datetime):
            args += [option, value.strftime("%Y-%m-%d")]
        else:
            args += [option if field.name != "id" else "--id", str(value)]
    return args


def test_the_command_passes_every_option(sqlite_model: tuple[Desk, Model]) -> None:
    """`helpdesk tickets list` with the options of each combination: the same tickets."""
    desk, model = sqlite_model
    for f in FILTERS[::3]:
        data = as_json(desk, "--all", *_args(f))
        assert [r["id"] for r in data] == [t["id"] for t in expected(model, f)], f


@pytest.fixture(scope="module")
def sqlite_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Desk, Model]]:
    desk = Desk(tmp_path_factory.mktemp("same-rows"))
    fill(desk)
    yield desk, model_of(desk)
    desk.db.dispose()


@pytest.fixture(scope="module")
def pg_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Desk, Model]]:
    with private_postgres() as server:
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS same_rows")
            conn.exec_driver_sql("CREATE DATABASE same_rows")
        engine.dispose()
        desk = Desk(
            tmp_path_factory.mktemp("same-rows-pg"), url=server.rsplit("/", 1)[0] + "/same_rows"
        )
        fill(desk)
        yield desk, model_of(desk)
        desk.db.dispose()
