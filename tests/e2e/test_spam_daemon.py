"""The spam filter end to end over real SMTP: a trained model holds obvious spam, the
daemon's scheduler sends the quarantine digest, a release makes the ticket and teaches the
model, and what was learned survives a restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.store.model import Inbound, SpamModelState, Ticket
from tests.harness import Daemon, mail, text_of, wait_until
from tests.spam.corpus import spam, training_set, write_maildir, write_mbox

SPAM = spam(4242)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    # A digest every 7 seconds, so that the scheduler's job is seen to run.
    d = Daemon(tmp_path, "[spam]\ndigest_hours = 0.002\n")
    assert d.cli("db", "upgrade").exit_code == 0
    hams, spams = training_set()
    result = d.cli(
        "spam",
        "train",
        "--ham",
        str(write_maildir(tmp_path / "ham", hams)),
        "--spam",
        str(write_mbox(tmp_path / "spam.mbox", spams)),
    )
    assert result.exit_code == 0, result.output
    d.start()
    yield d
    d.close()


def score(daemon: Daemon, raw: bytes) -> float:
    from classifier import FeatureContext, SpamModel

    with daemon.db.read() as s:
        data = s.scalar(select(SpamModelState.data))
    assert data is not None
    return SpamModel.loads(data).score(raw, FeatureContext()).probability


def subject(msg: object) -> str:
    return str(make_header(decode_header(str(msg["Subject"]))))  # type: ignore[index]


def test_spam_is_held_listed_released_and_learned(daemon: Daemon) -> None:
    assert daemon.send(mail("Не работает VPN", "С утра не подключается VPN. Анна"))[0] == 250
    assert daemon.send(SPAM, mail_from="promo4242@mail2.biz")[0] == 250
    daemon.settle()
    assert len(daemon.tickets()) == 1
    with daemon.db.read() as s:
        held = s.scalars(select(Inbound).where(Inbound.state == "held")).one()
    assert daemon.outgoing_to("promo4242@mail2.biz") == []  # no reply to spam

    digests = wait_until(
        lambda: [m for m in daemon.outgoing_to("alice@example.com") if "Карантин" in subject(m)],
        30,
        "the quarantine digest",
    )
    assert len(digests) == 1
    assert f"#ham {held.id}" in text_of(digests[0])
    # Only the admin gets it: Bob is an agent, and there is an admin.
    assert all("Карантин" not in subject(m) for m in daemon.outgoing_to("bob@example.com"))

    before = score(daemon, SPAM)
    assert before >= 0.99
    result = daemon.cli("quarantine", "release", str(held.id))
    assert result.exit_code == 0, result.output
    wait_until(lambda: len(daemon.tickets()) == 2, 20, "the released message's ticket")
    daemon.settle()
    after = score(daemon, SPAM)
    assert after < 0.5
    confirmations = daemon.outgoing_to("promo4242@mail2.biz")
    assert len(confirmations) == 1  # released: treated as a person's request
    with daemon.db.read() as s:
        ticket = s.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
        assert ticket is not None and ticket.requester.email == "promo4242@mail2.biz"

    # Learned for good: a restarted daemon scores with the same model version.
    version = json.loads(daemon.cli("spam", "stats", "--format", "json").stdout)["version"]
    daemon.stop()
    daemon.start()
    again = spam(4242).replace(b"<t4242.", b"<again.")
    assert daemon.send(again, mail_from="promo4242@mail2.biz")[0] == 250
    daemon.settle()
    stats = json.loads(daemon.cli("spam", "stats", "--format", "json").stdout)
    assert stats["version"] == version and stats["corrections_7d"] == 1
    # Its sender now has a ticket that is not spam: the copy is never held, a new ticket.
    assert daemon.count(Inbound, Inbound.state == "held") == 0
    assert len(daemon.tickets()) == 3


def test_the_daemon_rebuilds_a_model_an_upgrade_left_unreadable(tmp_path: Path) -> None:
    from sqlalchemy import update

    from classifier import SpamModel
    from tests.spam.test_rebuild import _old_format

    d = Daemon(tmp_path)
    assert d.cli("db", "upgrade").exit_code == 0
    hams, spams = training_set()
    trained = d.cli(
        "spam",
        "train",
        "--ham",
        str(write_maildir(tmp_path / "ham", hams)),
        "--spam",
        str(write_mbox(tmp_path / "spam.mbox", spams)),
    )
    assert trained.exit_code == 0, trained.output
    with d.db.write() as s:
        data = s.scalar(select(SpamModelState.data))
        assert data is not None
        s.execute(update(SpamModelState).values(data=_old_format(data), stamp="old-release"))
    stale = d.cli("spam", "stats")
    assert stale.exit_code == 1 and "rebuilds it from the learning log" in stale.stderr
    d.start()
    try:

        def loads() -> bool:
            with d.db.read() as s:
                stored = s.scalar(select(SpamModelState.data))
            try:
                return stored is not None and SpamModel.loads(stored).trained
            except Exception:
                return False

        wait_until(loads, 60, "the daemon to rebuild the spam model")
        assert "spam filter: model rebuilt as version" in d.log.read_text()
        assert d.send(SPAM, mail_from="promo4242@mail2.biz")[0] == 250
        d.settle()
        with d.db.read() as s:
            assert s.scalar(select(Inbound.state).order_by(Inbound.id.desc())) == "held"
        stats = json.loads(d.cli("spam", "stats", "--format", "json").stdout)
        assert stats["load_error"] is None
        assert stats["last_rebuild"]["corpora"][0]["ham"] == len(hams)
    finally:
        d.close()
