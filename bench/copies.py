"""Per-recipient copies benchmark: the cost of queueing one answer to a ticket with N
participants (one copy each), after A earlier answers, on SQLite.

Each copy is rendered, built and queued on its own, so the cost per copy should stay flat
as N grows (not grow with N: the copies' threading is worked out in two queries for all of
them). Printed: milliseconds per answer and per copy, and the per-copy ratio against N=1
measured in the same run; also the outbox rows and the queries per answer.

Run: python bench/copies.py [--participants 1,3,10,30,100] [--answers 20] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from gateway.outgoing import mailer  # noqa: E402
from gateway.outgoing.mailer import Outgoing  # noqa: E402
from gateway.services import Services  # noqa: E402
from gateway.settings import config as config_mod  # noqa: E402
from gateway.store.db import Database, upgrade  # noqa: E402
from gateway.store.model import Outbox, Participant, Ticket, User  # noqa: E402
from tests.harness import write_config  # noqa: E402

DOMAINS = ("corp.example.ru", "branch.test", "firm.example", "мойдомен.рф", "uni.example")


def _ticket(session: Session, n: int, label: str) -> Ticket:
    requester = User(email=f"req.{label}@corp.example.ru", name="Иван Петров", locale="ru")
    session.add(requester)
    session.flush()
    ticket = Ticket(subject=f"Не работает принтер {label}", requester_id=requester.id)
    session.add(ticket)
    session.flush()
    for i in range(n):
        who = User(
            email=f"p{i}.{label}@{DOMAINS[i % len(DOMAINS)]}",
            name=f"Участник {i}",
            locale="en" if i % 3 else "ru",
        )
        session.add(who)
        session.flush()
        session.add(Participant(ticket_id=ticket.id, user_id=who.id))
    session.flush()
    return ticket


def _answer(session: Session, services: Services, ticket: Ticket, agent: User, text: str) -> None:
    people = list(
        session.scalars(
            select(User)
            .join(Participant, Participant.user_id == User.id)
            .where(Participant.ticket_id == ticket.id)
        )
    )
    mailer.queue_mail(
        session,
        services,
        ticket,
        Outgoing(
            event="answer",
            recipient=ticket.requester,
            cc=people,
            context={
                "message": {
                    "body": text,
                    "full_text": text,
                    "subject": ticket.subject,
                    "created_at": None,
                    "author_name": agent.name,
                    "author_email": agent.email,
                    "attachments": [],
                    "automatic": False,
                },
                "agent": {"name": agent.name, "email": agent.email},
            },
            automatic=False,
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", default="1,3,10,30,100")
    parser.add_argument("--answers", type=int, default=20, help="earlier answers per ticket")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(x) for x in args.participants.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_config(Path(tmp))
        cfg = config_mod.load(path)
        os.chdir(tmp)
        upgrade(cfg.database_url)
        db = Database.from_config(cfg)
        services = Services.from_config(cfg)
        queries = [0]
        event.listen(
            db.engine, "before_cursor_execute", lambda *_: queries.__setitem__(0, queries[0] + 1)
        )
        print(f"load: {os.getloadavg()[0]:.2f}  earlier answers per ticket: {args.answers}")
        print(f"{'N':>5} {'ms/answer':>10} {'ms/copy':>9} {'ratio':>6} {'rows':>5} {'queries':>8}")
        base: float | None = None
        for run, n in enumerate(sizes):
            with db.write() as session:
                agent = User(email=f"agent{run}@example.com", name="Alice", role="agent")
                session.add(agent)
                session.flush()
                ticket = _ticket(session, n, f"{run}.{n}")
                for i in range(args.answers):
                    _answer(session, services, ticket, agent, f"Ответ номер {i}.")
                ticket_id, agent_id = ticket.id, agent.id
            best = float("inf")
            per_query = 0
            for r in range(args.repeat):
                with db.write() as session:
                    again = session.get(Ticket, ticket_id)
                    author = session.get(User, agent_id)
                    assert again is not None and author is not None
                    queries[0] = 0
                    start = time.perf_counter()
                    _answer(session, services, again, author, f"Проверили, попытка {r}.")
                    session.flush()
                    best = min(best, time.perf_counter() - start)
                    per_query = queries[0]
            with db.read() as session:
                rows = session.scalar(
                    select(func.count()).select_from(Outbox).where(Outbox.ticket_id == ticket_id)
                )
            per_copy = best / (n + 1)
            base = base if base is not None else per_copy
            print(
                f"{n:>5} {best * 1000:>10.1f} {per_copy * 1000:>9.2f} {per_copy / base:>6.2f}"
                f" {(rows or 0) // (args.answers + args.repeat):>5} {per_query:>8}"
            )
        db.dispose()


if __name__ == "__main__":
    main()
