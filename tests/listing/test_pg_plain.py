"""PostgreSQL read without SQLAlchemy (gateway.store.pg_plain): the URL read as
SQLAlchemy's psycopg dialect reads it, and `:name` text as text() reads it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine

from gateway.store.pg_plain import NO_JIT, connect_args, pyformat

URLS = (
    "postgresql+psycopg://helpdesk@127.0.0.1:55432/scale1m",
    "postgresql+psycopg://u%40x:p%2Fw%3A@db.example.com:5433/desk?sslmode=require",
    "postgresql+psycopg://helpdesk:@db/desk?connect_timeout=3",
    "postgresql+psycopg:///desk?host=/run/postgresql",
    "postgresql+psycopg://u@/desk?host=h1:5432&host=h2:5433",
    "postgresql+psycopg://u@[::1]:5432/desk",
    "postgresql+psycopg://db.example.com",
)


def _sqlalchemy_args(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    _, params = engine.dialect.create_connect_args(engine.url)
    params.pop("context")
    return {key: str(value) for key, value in params.items()}


@pytest.mark.parametrize("url", URLS)
def test_the_url_means_what_it_means_to_the_engine(url: str) -> None:
    args = connect_args(url)
    assert args.pop("options") == NO_JIT
    assert args == _sqlalchemy_args(url)


def test_the_urls_options_are_kept_with_the_engines() -> None:
    url = "postgresql+psycopg://u@h/d?options=-c%20statement_timeout%3D5s"
    assert connect_args(url)["options"] == f"-c statement_timeout=5s {NO_JIT}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT :a, :b_2", "SELECT %(a)s, %(b_2)s"),
        # Casts and times are no parameters; a literal % is doubled.
        (
            "SELECT to_tsquery('english'::regconfig, :q) WHERE t LIKE '%x%' AND h = '12:30'",
            "SELECT to_tsquery('english'::regconfig, %(q)s) WHERE t LIKE '%%x%%' AND h = '12:30'",
        ),
        # As text() reads it: a name followed by a cast is none (write CAST(:a AS text)).
        ("SELECT :a::text", "SELECT :a::text"),
        ("SELECT '\\:a'", "SELECT ':a'"),
    ],
)
def test_named_parameters_become_psycopgs(text: str, expected: str) -> None:
    assert pyformat(text) == expected


def test_a_urls_options_reach_the_server_through_the_engine_and_the_reader() -> None:
    from gateway.store.db import make_engine
    from gateway.store.pg_plain import reader
    from tests.postgres import private_postgres

    with private_postgres() as base:
        url = base + "?options=-c%20statement_timeout%3D5s"
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                engine_sees = (
                    conn.exec_driver_sql("SHOW statement_timeout").scalar(),
                    conn.exec_driver_sql("SHOW jit").scalar(),
                )
        finally:
            engine.dispose()
        with reader(url) as read:
            reader_sees = tuple(
                read.value(query, {}) for query in ("SHOW statement_timeout", "SHOW jit")
            )
    assert engine_sees == ("5s", "off")
    assert reader_sees == ("5s", "off")
