"""Loops over real SMTP: two naive auto-responders (no Auto-Submitted, no Precedence),
one at the requester and one at an agent, exchange at most the relay bound, then stop."""

from __future__ import annotations

import random
from collections.abc import Iterator
from email.message import Message

import pytest
from sqlalchemy import select

from gateway.store.model import Outbox
from tests.e2e.test_commands import subject
from tests.harness import Daemon, mail

REQUESTER = "traveller@corp.example.org"
AGENT = "alice@example.com"
WORDS = [
    "printer",
    "network",
    "mail",
    "vpn",
    "laptop",
    "screen",
    "access",
    "password",
    "folder",
    "backup",
]


@pytest.fixture
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("loops")).start()
    yield d
    d.close()


def responder_reply(msg: Message, sender: str, subject_prefix: str, body: str) -> bytes:
    """What a naive vacation program sends: no header says it is automatic."""
    return mail(
        f"{subject_prefix}{subject(msg)}",
        body,
        sender=sender,
        to=str(msg["Reply-To"] or msg["From"]),
        In_Reply_To=str(msg["Message-ID"]),
        References=str(msg["Message-ID"]),
    ).as_bytes()


def run_loop(daemon: Daemon, subject_prefix: str, body: object, rounds: int = 40) -> int:
    """Let both responders answer every new mail until nothing new comes; the mails sent."""
    assert daemon.send(mail("Не работает принтер", "Помогите", sender=REQUESTER))[0] == 250
    daemon.settle()
    answered: set[str] = set()
    sent = 0
    for _ in range(rounds):
        new = [m for m in daemon.outgoing() if str(m["Message-ID"]) not in answered]
        if not new:
            break
        for m in new:
            answered.add(str(m["Message-ID"]))
            to = str(m["To"])
            who = REQUESTER if REQUESTER in to else AGENT if AGENT in to else None
            if who is None:
                continue
            text = body() if callable(body) else str(body)
            raw = responder_reply(m, who, subject_prefix, text)
            assert daemon.send(raw, mail_from=who)[0] == 250
            sent += 1
        daemon.settle()
    else:
        raise AssertionError("the loop did not stop")
    return sent


def test_auto_reply_subjects_stop_at_once(daemon: Daemon) -> None:
    sent = run_loop(daemon, "Автоответ: ", "Я в отпуске до 15 декабря.")
    assert sent <= 4
    assert len(daemon.tickets()) == 1


def test_same_text_again_and_again_stops(daemon: Daemon) -> None:
    sent = run_loop(daemon, "Re: ", "I am away until Monday and will read your mail then.")
    assert sent <= 6


def test_relay_limit_holds_what_detection_misses(daemon: Daemon) -> None:
    rng = random.Random(7)

    def varied() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(12)) + "."

    run_loop(daemon, "Re: ", varied, rounds=60)
    with daemon.db.read() as s:
        rows = list(s.scalars(select(Outbox).order_by(Outbox.id)))
    relayed = [r for r in rows if r.state != "held" and r.kind != "relay_held"]
    held = [r for r in rows if r.state == "held"]
    # Counted by the received mail that caused them (a requester's mail noticed to the
    # agents is one relay).
    assert len({r.inbound_id for r in relayed}) <= 10
    assert len(relayed) <= 12
    assert held and all("loop" in r.last_reply for r in held)
    notices = [r for r in rows if r.kind == "relay_held"]
    assert len(notices) == 1 and AGENT in notices[0].rcpt_to
    # Released by an agent, a held mail is sent.
    result = daemon.cli("outbox", "retry", str(held[0].id))
    assert result.exit_code == 0, result.output
    daemon.settle()
    with daemon.db.read() as s:
        assert s.get(Outbox, held[0].id).state == "sent"  # type: ignore[union-attr]
