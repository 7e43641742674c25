"""Builds a desk's history for bench/scale.py: N tickets with the product's schema.

Realistic rows: ~20k requesters on many domains (.ru, .com, .test, .example, IDN), two
years of tickets (most closed), 2-4 messages each in Russian or English, events, an
outbox row and a Message-ID per message, and the similar-ticket examples the product
keeps (every ticket closed with an answer is a "solved" example; one in five with a
category also a "category" one). Written with Core executemany in one transaction, then
the full-text index is filled from the rows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, insert

from gateway.store import search
from gateway.store.db import upgrade

DOMAINS = (
    "corp.example.ru",
    "mail.example.com",
    "lab.test",
    "uni.example",
    "почта.рф",
    "firma.example.de",
    "yandex.example.ru",
    "branch.example.org",
)
CATEGORIES = ("hardware", "software", "network", "access", "mail", "printing", "phone", "")
CRITICALITY = ("low", "low", "medium", "medium", "high", "critical")
OPEN_STATUSES = ("new", "in_progress", "waiting")
WORDS_EN = [
    "printer",
    "vpn",
    "mailbox",
    "outlook",
    "password",
    "reset",
    "laptop",
    "screen",
    "network",
    "wifi",
    "access",
    "account",
    "error",
    "server",
    "backup",
    "disk",
    "quota",
    "license",
    "update",
    "install",
    "slow",
    "crash",
]
WORDS_RU = [
    "принтер",
    "сеть",
    "почта",
    "пароль",
    "доступ",
    "ноутбук",
    "экран",
    "ошибка",
    "сервер",
    "обновление",
    "лицензия",
    "диск",
    "квота",
    "медленно",
    "вылетает",
    "установка",
    "монитор",
    "телефон",
]
CHUNK = 20_000
REQUESTERS = 20_000
AGENTS = 30


def _text(rng: random.Random, words: int) -> str:
    vocab = WORDS_RU if rng.random() < 0.5 else WORDS_EN
    return " ".join(rng.choice(vocab) for _ in range(words))


Row = dict[str, Any]


def _chunks(rows: Iterator[tuple[Row, list[Row]]]) -> Iterator[list[tuple[Row, list[Row]]]]:
    chunk: list[tuple[Row, list[Row]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def build(url: str, tickets: int, seed: int = 17) -> None:
    """A database at `url` (empty or new) with `tickets` tickets of history."""
    upgrade(url)
    engine = create_engine(url)
    meta = MetaData()
    tables = {
        name: Table(name, meta, autoload_with=engine)
        for name in (
            "users",
            "tickets",
            "messages",
            "events",
            "outbox",
            "message_refs",
            "text_examples",
        )
    }
    rng = random.Random(seed)
    start = dt.datetime(2024, 12, 1)
    span = 2 * 365 * 86400
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
        users = [
            {
                "id": i,
                "email": f"user{i}@{DOMAINS[i % len(DOMAINS)]}",
                "name": f"User {i}",
                "role": "agent" if i <= AGENTS else "client",
                "group": "",
                "locale": "",
                "created_at": start,
            }
            for i in range(1, REQUESTERS + AGENTS + 1)
        ]
        conn.execute(insert(tables["users"]), users)
        for chunk in _chunks(_tickets(rng, tickets, start, span)):
            conn.execute(insert(tables["tickets"]), [t for t, _ in chunk])
            messages = [m for _, ms in chunk for m in ms]
            conn.execute(insert(tables["messages"]), messages)
            conn.execute(insert(tables["message_refs"]), [_ref(m) for m in messages])
            conn.execute(insert(tables["events"]), [e for t, _ in chunk for e in _events(t)])
            conn.execute(insert(tables["outbox"]), [_outbox(t) for t, _ in chunk])
            examples = [e for t, ms in chunk for e in _examples(rng, t, ms)]
            if examples:
                conn.execute(insert(tables["text_examples"]), examples)
        search.drop(conn)
        search.create(conn)  # fills the full-text index from the rows, as the migration does
    engine.dispose()


def _tickets(
    rng: random.Random, n: int, start: dt.datetime, span: int
) -> Iterator[tuple[Row, list[Row]]]:
    message_id = 0
    for tid in range(1, n + 1):
        created = start + dt.timedelta(seconds=span * tid // n)
        closed = rng.random() < 0.88
        status = "closed" if closed else rng.choice(OPEN_STATUSES)
        requester = AGENTS + 1 + rng.randrange(REQUESTERS)
        assignee = 1 + rng.randrange(AGENTS) if rng.random() < 0.8 else None
        updated = created + dt.timedelta(hours=rng.randrange(1, 400))
        subject = _text(rng, 4)
        if tid % 50_000 == 7:
            subject += f" inv{tid}"  # a rare word: a search with few matches
        ticket = {
            "id": tid,
            "subject": subject,
            "requester_id": requester,
            "assignee_id": assignee,
            "status": status,
            "closed": closed,
            "criticality": rng.choice(CRITICALITY),
            "category": rng.choice(CATEGORIES),
            "last_public_by": rng.choice(("requester", "agent")),
            "source": "smtp",
            "created_at": created,
            "updated_at": updated,
            "sla_level": "",
            "linked_ticket_id": None,
        }
        messages: list[Row] = []
        for k in range(rng.randint(2, 4)):
            message_id += 1
            body = _text(rng, rng.randint(12, 40))
            messages.append(
                {
                    "id": message_id,
                    "ticket_id": tid,
                    "inbound_id": None,
                    "author_id": requester if k % 2 == 0 else assignee,
                    "kind": "request" if k % 2 == 0 else "answer",
                    "hidden": False,
                    "subject": subject,
                    "body": body,
                    "quoted": "",
                    "signature": "",
                    "full_text": body,
                    "html": "",
                    "parse_problems": [],
                    "created_at": created + dt.timedelta(minutes=30 * k),
                }
            )
        yield ticket, messages


def _ref(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": f"<m{message['id']}@client.example>",
        "ticket_id": message["ticket_id"],
        "outgoing": message["kind"] == "answer",
        "recipient_id": None,
        "created_at": message["created_at"],
    }


def _events(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    base = {"ticket_id": ticket["id"], "at": ticket["created_at"], "actor": "system"}
    rows = [{**base, "kind": "created", "old": None, "new": ticket["subject"]}]
    if ticket["closed"]:
        rows.append({**base, "kind": "status", "old": "new", "new": "closed"})
    return rows


def _outbox(ticket: dict[str, Any]) -> dict[str, Any]:
    return {
        "created_at": ticket["created_at"],
        "ticket_id": ticket["id"],
        "kind": "confirmation",
        "mail_from": "support@example.com",
        "rcpt_to": [f"user{ticket['requester_id']}@example.com"],
        "message_id": f"<out{ticket['id']}@helpdesk.example>",
        "subject": ticket["subject"],
        "raw": b"Subject: confirmation\r\n\r\nbody\r\n",
        "automatic": True,
        "state": "sent",
        "attempts": 1,
        "next_attempt_at": ticket["created_at"],
        "last_reply": "250 OK",
        "sent_at": ticket["created_at"],
    }


def _examples(rng: random.Random, ticket: Row, messages: list[Row]) -> list[Row]:
    """The rows gateway.similar.examples stores for this ticket: solved, labelled."""
    text = f"{ticket['subject']}\n{messages[0]['body']}"
    at = ticket["updated_at"]
    rows = []
    answers = [m["body"] for m in messages if m["kind"] == "answer"]
    if ticket["closed"] and answers:
        rows.append(_example("solved", ticket["id"], text, at, answer=answers[-1]))
    if ticket["category"] and rng.random() < 0.2:
        rows.append(_example("category", ticket["id"], text, at, label=ticket["category"]))
    return rows


def _example(
    index: str, ticket_id: int, text: str, at: dt.datetime, label: str = "", answer: str = ""
) -> Row:
    return {
        "index": index,
        "ticket_id": ticket_id,
        "label": label,
        "text": text,
        "answer": answer,
        "at": at,
    }
