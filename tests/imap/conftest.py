"""Fixtures for IMAP intake: private Dovecot servers on loopback, a fresh database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.store.db import Database
from gateway.store.model import Base

from .helpers import Dovecot

_users = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One server for the session; each test gets its own user (its own mailboxes).

    A missing dovecot raises here, so the tests fail rather than skip.
    """
    server = Dovecot(tls=True)
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def private_dovecot() -> Iterator[Dovecot]:
    """A server of the test's own, for tests that kill it."""
    server = Dovecot(tls=False)
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def user(dovecot: Dovecot) -> str:
    name = f"user{next(_users)}"
    dovecot.add_user(name)
    return name


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'helpdesk.db'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()
