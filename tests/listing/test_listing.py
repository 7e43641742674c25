"""`tickets list`: filters in SQL, pages newest first, the cursor, streaming, full-text."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update

from gateway.cli.main import main
from gateway.store import listing
from gateway.store.model import Ticket, User
from gateway.store.tickets import create_ticket, get_or_create_user
from gateway.store.views import TicketFilter
from tests.spam.conftest import Desk

SENDERS = (
    "ivan@corp.example.ru",
    "olga@почта.рф",
    "bob@mail.example.com",
    "kim@lab.test",
    "ana@uni.example",
)


def mail(sender: str, subject: str, body: str, charset: str = "utf-8") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash((sender, subject)))}@client.example>"
    msg.set_content(body, charset=charset)
    return msg


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path)
    yield d
    d.db.dispose()


def cli(desk: Desk, *args: str) -> Result:
    config = str(desk.cfg.base_dir / "helpdesk.toml")
    return CliRunner().invoke(main, ["--config", config, "tickets", "list", *args])


def as_json(desk: Desk, *args: str) -> list[dict[str, Any]]:
    result = cli(desk, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, list)
    return data


def bulk(desk: Desk, n: int) -> list[int]:
    """`n` tickets written as the store writes them (no mail): pages and counts."""
    ids = []
    with desk.db.write() as s:
        users = [get_or_create_user(s, a, "") for a in SENDERS]
        for i in range(n):
            t = create_ticket(s, subject=f"Ticket {i}", requester=users[i % 5], source="smtp")
            ids.append(t.id)
    return ids


def subjects(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(r["subject"] for r in rows)


def test_pipeline_keeps_full_text_in_step(desk: Desk) -> None:
    """Mail taken by the real pipeline is found by words of its subject and body, in
    Russian and English, any case, by prefix; other words find nothing."""
    desk.take(mail(SENDERS[0], "Не работает VPN-клиент", "После обновления Ёлка не видит сеть."))
    desk.take(mail(SENDERS[4], "Принтер на 3 этаже", "Замятие бумаги в лотке 2.", "koi8-r"))
    desk.take(mail(SENDERS[2], "Mailbox quota", "My Outlook says the mailbox is full."))
    desk.take(mail(SENDERS[3], "Hello", "The projector in room B-12 flickers."))
    assert subjects(as_json(desk, "--title", "vpn")) == ["Не работает VPN-клиент"]
    assert subjects(as_json(desk, "--title", "ПРИНТ")) == ["Принтер на 3 этаже"]
    assert subjects(as_json(desk, "--text", "замятие бумаги")) == ["Принтер на 3 этаже"]
    assert subjects(as_json(desk, "--text", "outlook")) == ["Mailbox quota"]
    assert subjects(as_json(desk, "--text", "projector in ro")) == ["Hello"]
    # The subject counts for --text too; case folds in Cyrillic as well.
    assert subjects(as_json(desk, "--text", "mailbox")) == ["Mailbox quota"]
    assert subjects(as_json(desk, "--text", "ЁЛКА")) == ["Не работает VPN-клиент"]
    assert as_json(desk, "--text", "projector room") == []  # a phrase: words in a row
    assert as_json(desk, "--title", "outlook") == []  # body words are not in the title
    # FTS5's own syntax is plain text here: no error, just words.
    assert as_json(desk, "--text", 'NEAR("vpn" OR) AND *') == []
    # No word at all: the LIKE fallback.
    assert subjects(as_json(desk, "--title", "-")) == ["Не работает VPN-клиент"]


def test_filters_each_select_in_sql(desk: Desk) -> None:
    ids = bulk(desk, 30)
    with desk.db.write() as s:
        agent = get_or_create_user(s, "agent@example.com", "Agent")
        s.execute(update(User).where(User.id == agent.id).values(role="agent"))
        s.execute(
            update(Ticket)
            .where(Ticket.id.in_(ids[:10]))
            .values(assignee_id=agent.id, status="waiting", last_public_by="agent")
        )
        s.execute(
            update(Ticket)
            .where(Ticket.id.in_(ids[25:]))
            .values(closed=True, status="closed", category="hardware", criticality="high")
        )
    assert {r["id"] for r in as_json(desk, "--assignee", "AGENT@example.com")} == set(ids[:10])
    assert {r["id"] for r in as_json(desk, "--status", "waiting")} == set(ids[:10])
    assert {r["id"] for r in as_json(desk, "--indicator", "red")} == set(ids[:10])
    assert {r["id"] for r in as_json(desk, "--indicator", "green")} == set(ids[10:25])
    assert {r["id"] for r in as_json(desk, "--indicator", "grey")} == set(ids[25:])
    assert {r["id"] for r in as_json(desk, "--closed")} == set(ids[25:])
    assert len(as_json(desk, "--open")) == 25
    assert {r["id"] for r in as_json(desk, "--category", "hardware")} == set(ids[25:])
    assert {r["id"] for r in as_json(desk, "--criticality", "high", "--closed")} == set(ids[25:])
    requester = as_json(desk, "--requester", "olga@почта.рф")
    assert {r["requester"] for r in requester} == {"olga@почта.рф"} and len(requester) == 6
    assert as_json(desk, "--requester", "nobody@example.com") == []
    assert as_json(desk, "--updated-since", "2999-01-01") == []
    assert len(as_json(desk, "--updated-since", "2000-01-01")) == 30
    [one] = as_json(desk, "--id", str(ids[3]))
    assert one["tag"] == f"HD-{ids[3]}" and one["assignee"] == "agent@example.com"


def test_pages_newest_first_with_the_count_of_the_rest(desk: Desk) -> None:
    ids = bulk(desk, 120)
    first = as_json(desk)
    assert [r["id"] for r in first] == sorted(ids, reverse=True)[:50]
    table = cli(desk)
    assert table.exit_code == 0
    assert f"50 shown, 70 more: --before {first[-1]['id']} (or --offset 50)" in table.output
    second = as_json(desk, "--before", str(first[-1]["id"]))
    assert [r["id"] for r in second] == sorted(ids, reverse=True)[50:100]
    assert as_json(desk, "--offset", "50") == second
    tail = cli(desk, "--before", f"hd-{second[-1]['id']}")
    assert "20 shown, no more." in tail.output
    assert [r["id"] for r in as_json(desk, "--limit", "3", "--offset", "118")] == ids[:2][::-1]


def test_count_stops_at_the_cap(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    bulk(desk, 40)
    monkeypatch.setattr(listing, "COUNT_CAP", 10)
    assert "10 shown, more than 10 more" in cli(desk, "--limit", "10").output


def test_all_streams_every_match(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = bulk(desk, 75)
    monkeypatch.setattr(listing, "STREAM_CHUNK", 20)  # several statements, one stream
    rows = as_json(desk, "--all")
    assert [r["id"] for r in rows] == sorted(ids, reverse=True)
    assert len(as_json(desk, "--all", "--requester", SENDERS[0])) == 15
    result = cli(desk, "--all", "--format", "csv", "--before", str(ids[10]))
    parsed = list(csv.DictReader(io.StringIO(result.output)))
    assert [int(r["id"]) for r in parsed] == sorted(ids[:10], reverse=True)
    assert as_json(desk, "--all", "--requester", "nobody@example.com") == []


def test_stream_holds_one_chunk(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stream is lazy: a chunk per statement, read only as far as it is consumed."""
    bulk(desk, 50)
    monkeypatch.setattr(listing, "STREAM_CHUNK", 10)
    statements: list[str] = []
    from sqlalchemy import event

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(desk.db.engine, "before_cursor_execute", count)
    with desk.db.read() as s:
        rows = listing.stream(s, TicketFilter(), "HD")
        taken = [next(rows) for _ in range(15)]
    event.remove(desk.db.engine, "before_cursor_execute", count)
    assert len(taken) == 15 and len([s for s in statements if "FROM tickets" in s]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--limit", "0"), "--limit"),
        (("--offset", "-1"), "--offset"),
        (("--before", "abc"), "not a ticket id or tag"),
        (("--before", "0"), "not a ticket id or tag"),
        (("--all",), "--format json or csv"),
        (("--all", "--format", "json", "--limit", "5"), "takes no --limit"),
        (("--updated-since", "yesterday"), "--updated-since"),
    ],
)
def test_bad_arguments_are_refused_clearly(desk: Desk, args: tuple[str, ...], message: str) -> None:
    bulk(desk, 2)
    result = cli(desk, *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output
