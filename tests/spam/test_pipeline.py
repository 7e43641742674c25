"""The spam stage in the real pipeline: hold, release, corrections, rules, cold start."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

from sqlalchemy import select

from gateway.services import Services
from gateway.spam import learn, mark_spam, release
from gateway.store.model import Event, Inbound, SpamLearning, Ticket, User
from tests.harness import mail, text_of
from tests.spam.conftest import Desk
from tests.spam.corpus import ham, spam

OBVIOUS = spam(1001)


def test_cold_start_holds_nothing(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    row_id = desk.take(OBVIOUS)
    assert desk.inbound(row_id).state == "done"
    assert desk.count(Ticket) == 1
    desk.db.dispose()


def test_obvious_spam_is_held_without_ticket_or_reply(desk: Desk) -> None:
    row_id = desk.take(OBVIOUS)
    row = desk.inbound(row_id)
    assert row.state == "held"
    assert desk.count(Ticket) == 0
    assert desk.outbox() == []
    record = row.origin["spam"]
    assert isinstance(record, dict)
    assert record["score"] >= 0.99 and record["held"] is True
    assert any(weight > 0 for _, weight in record["top"])
    assert any("held as spam" in line for line in row.trace)
    # An ordinary request still becomes a ticket with its confirmation.
    desk.take(mail("Не работает принтер", "Принтер в 312 не печатает. Иван"))
    assert desk.count(Ticket) == 1
    assert len(desk.outbox("confirmation")) == 1


def test_release_makes_the_ticket_and_lowers_the_score(desk: Desk) -> None:
    row_id = desk.take(OBVIOUS)
    before = desk.score(OBVIOUS)
    with desk.db.write() as s:
        row = s.get(Inbound, row_id)
        assert row is not None
        release(s, desk.services, row, "alice@example.com")
    desk.runner.drain()
    row = desk.inbound(row_id)
    assert row.state == "done" and row.ticket_id is not None
    assert any("released from quarantine by alice@example.com" in t for t in row.trace)
    assert desk.score(OBVIOUS) < min(before, 0.5)
    assert desk.count(SpamLearning, SpamLearning.kind == "correction") == 1


def test_mark_spam_raises_the_score_of_a_near_duplicate(desk: Desk) -> None:
    body = "Здравствуйте, принтер не печатает? Заправим картриджи в вашем офисе за час. Звоните."
    offer = mail("Заправка картриджей", body, sender="sales@toner.example.net")
    twin = mail("Заправка картриджей", body + "\nМенеджер Ольга", sender="sales@toner.example.net")
    desk.take(offer)
    assert desk.count(Ticket) == 1  # looks like an office request: not held
    before = desk.score(twin.as_bytes())
    with desk.db.write() as s:
        ticket = s.scalars(select(Ticket)).one()
        alice = s.scalars(select(User).where(User.email == "alice@example.com")).one()
        mark_spam(s, desk.services, ticket, alice)
    assert before < 0.9
    assert desk.score(twin.as_bytes()) >= 0.99  # would now be held


def test_agents_and_known_requesters_are_never_held(desk: Desk) -> None:
    desk.take(ham(5000))  # user2@corp.example.org's earlier request
    from_requester = spam(1002).replace(b"promo1002@mail2.biz", b"user2@corp.example.org")
    from_agent = spam(1003).replace(b"promo1003@mail3.biz", b"bob@example.com")
    ids = [desk.take(from_requester), desk.take(from_agent)]
    assert [desk.inbound(i).state for i in ids] == ["done", "done"]
    traces = [" ".join(desk.inbound(i).trace) for i in ids]
    assert "never held: from a requester with earlier tickets" in traces[0]
    assert "never held: from an agent" in traces[1]


def test_trusted_internal_sender_that_passed_dkim_is_never_held(
    tmp_path: Path, trained_model: bytes
) -> None:
    desk = Desk(
        tmp_path,
        '[spam]\ntrusted_domains = ["corp.example.org"]\n'
        '[security]\ntrusted_authserv_id = "mx.corp.example.org"\n',
    )
    desk.install(trained_model)
    internal = spam(1004).replace(b"From: promo1004@mail4.biz", b"From: news@corp.example.org")
    forged = desk.take(internal)
    assert desk.inbound(forged).state == "held"  # no SPF/DKIM pass: the domain alone is no proof
    other_server = desk.take(
        b"Authentication-Results: evil.example; dkim=pass header.d=corp.example.org\n"
        + internal.replace(b"<t", b"<v")
    )
    assert desk.inbound(other_server).state == "held"  # only the trusted server's word counts
    signed = (
        b"Authentication-Results: mx.corp.example.org; dkim=pass header.d=corp.example.org;"
        b" spf=pass smtp.mailfrom=news@corp.example.org\n" + internal.replace(b"<t", b"<u")
    )
    passed = desk.take(signed)
    row = desk.inbound(passed)
    assert row.state == "done" and row.ticket_id is not None
    assert any("trusted domain corp.example.org (DKIM pass)" in t for t in row.trace)
    desk.db.dispose()


def test_a_model_that_does_not_load_is_reported_and_holds_nothing(desk: Desk) -> None:
    desk.install(b"HDSPAM\x00\x01garbage")
    row_id = desk.take(OBVIOUS)
    row = desk.inbound(row_id)
    assert row.state == "done" and row.ticket_id is not None
    assert any("not scored" in t and "cannot load spam model" in t for t in row.trace)
    assert desk.services.spam.error is not None


def test_every_process_sees_a_new_model_version(desk: Desk) -> None:
    other = Services.from_config(desk.cfg)  # a second daemon on the same database
    with desk.db.read() as s:
        assert other.spam.current(s) is not None
    first = other.spam.version
    row_id = desk.take(ham(6000))
    with desk.db.write() as s:
        row = s.get(Inbound, row_id)
        assert row is not None
        learn(s, desk.services, row, True, "alice@example.com")
    with desk.db.read() as s:
        model = other.spam.current(s)
    assert other.spam.version == first + 1
    assert model is not None and model.counts == desk.services.spam.model.counts  # type: ignore[union-attr]


def test_an_agents_answer_teaches_ham_once(desk: Desk) -> None:
    desk.take(ham(7000))
    notice = next(r for r in desk.outbox() if r.rcpt_to == ["alice@example.com"])
    parsed = email.message_from_bytes(notice.raw, policy=email.policy.default)
    for n in range(2):  # answers as a mail client makes them: to the signed Reply-To
        answer = mail(
            "Re: " + str(parsed["Subject"]),
            f"Fixed, try again ({n}).",
            sender="alice@example.com",
            to=str(parsed["Reply-To"]),
            In_Reply_To=str(parsed["Message-ID"]),
        )
        desk.take(answer)
    with desk.db.read() as s:
        learned = list(s.scalars(select(SpamLearning).where(SpamLearning.kind == "answer")))
    assert [(r.is_spam, r.actor) for r in learned] == [(False, "alice@example.com")]


def test_suspect_mail_is_marked_on_its_ticket(tmp_path: Path, trained_model: bytes) -> None:
    desk = Desk(tmp_path, "[spam]\nthreshold = 1.0\nsuspect_threshold = 0.5\n")
    desk.install(trained_model)
    desk.take(spam(1005).replace(b"!!!", b"."))
    with desk.db.read() as s:
        kinds = list(s.scalars(select(Event.kind)))
    assert "spam_suspect" in kinds
    [notice] = desk.outbox("agent_new_ticket")
    parsed = email.message_from_bytes(notice.raw, policy=email.policy.default)
    # Below the threshold of 1.0 (not held); shown rounded to two places.
    assert re.search(r"Возможно, это спам \(оценка (0\.\d\d|1\.00)\)", text_of(parsed))
    assert len(desk.outbox("confirmation")) == 1  # a suspect still gets its ticket
    desk.db.dispose()


def test_a_filter_taught_only_spam_says_so_and_one_release_calibrates_it(
    tmp_path: Path,
) -> None:
    from classifier import MIN_SPAM

    desk = Desk(tmp_path)
    for n in range(MIN_SPAM):
        ticket_id = desk.inbound(desk.take(spam(2000 + n))).ticket_id
        assert ticket_id is not None  # cold start: nothing is held
        with desk.db.write() as s:
            ticket = s.get(Ticket, ticket_id)
            alice = s.scalars(select(User).where(User.email == "alice@example.com")).one()
            assert ticket is not None
            mark_spam(s, desk.services, ticket, alice)
    request = ham(6000)
    held = desk.inbound(desk.take(request))
    assert held.state == "held"
    assert any("learned no wanted mail yet" in line for line in held.trace)
    with desk.db.write() as s:
        row = s.get(Inbound, held.id)
        assert row is not None
        release(s, desk.services, row, "alice@example.com")
    desk.runner.drain()
    assert desk.inbound(held.id).state == "done"
    assert desk.inbound(desk.take(ham(6001))).state == "done"  # calibrated by one release
    assert desk.inbound(desk.take(spam(2100))).state == "held"
    desk.db.dispose()
