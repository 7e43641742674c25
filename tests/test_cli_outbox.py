"""`helpdesk outbox list/retry`: failed mail is visible with its reply and can be resent."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from gateway.cli.main import main
from gateway.settings import config as config_mod
from gateway.store.db import Database, upgrade
from gateway.store.model import Outbox, Ticket, User
from tests.harness import write_config


def test_failed_mail_is_listed_and_queued_again(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    cfg = config_mod.load(path)
    upgrade(cfg.database_url)
    db = Database.from_config(cfg)
    with db.write() as s:
        failed = Outbox(
            kind="confirmation",
            mail_from="support@example.com",
            rcpt_to=["gone@corp.example.org"],
            message_id="m1@x",
            raw=b"x",
            state="failed",
            last_reply="550 5.1.1 no such user",
        )
        sent = Outbox(
            kind="answer",
            mail_from="support@example.com",
            rcpt_to=["ok@corp.example.org"],
            message_id="m2@x",
            raw=b"x",
            state="sent",
        )
        s.add_all([failed, sent])
        s.flush()
        ids = failed.id, sent.id

    def cli(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["--config", str(path), "outbox", *args])
        return result.exit_code, result.output

    code, out = cli("list", "--state", "failed", "--format", "json")
    [row] = json.loads(out)
    assert code == 0 and row["id"] == ids[0] and "550 5.1.1" in row["last_reply"]
    assert cli("retry", str(ids[0])) == (0, "queued 1 mail(s) again\n")
    with db.read() as s:
        again = s.get(Outbox, ids[0])
        assert again is not None and again.state == "queued"
    code, out = cli("retry", str(ids[1]))
    assert code == 1 and f"#{ids[1]} has not failed" in out
    db.dispose()


def test_held_mail_goes_with_its_copies_to_the_other_recipients(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    cfg = config_mod.load(path)
    upgrade(cfg.database_url)
    db = Database.from_config(cfg)
    with db.write() as s:
        kate = User(email="kate@corp.example.org", name="Kate")
        s.add(kate)
        s.flush()
        s.add_all(
            [
                Ticket(subject="Сканер", requester_id=kate.id),
                Ticket(subject="Принтер", requester_id=kate.id),
            ]
        )
        s.flush()

        def held(rcpt: str, inbound: int, ticket: int, kind: str = "answer") -> Outbox:
            return Outbox(
                kind=kind,
                ticket_id=ticket,
                inbound_id=inbound,
                mail_from=f"support+bounce-{rcpt[:4]}@example.com",
                rcpt_to=[rcpt],
                message_id=f"{rcpt}@x",
                raw=b"x",
                state="held",
                last_reply="held: another agent answered first",
            )

        rows = [
            held("kate@corp.example.org", 7, 1),
            held("olga@corp.example.org", 7, 1),  # the same answer's copy
            held("petr@branch.test", 7, 1),  # and another
            held("anna@firm.example", 8, 1),  # another received mail's answer
            held("ivan@corp.example.ru", 7, 2),  # another ticket
            held("alice@example.com", 7, 1, kind="agent_note"),  # another mail
        ]
        s.add_all(rows)
        s.flush()
        ids = [r.id for r in rows]
    for command in ("release", "retry"):
        with db.write() as s:
            for row_id in ids:
                row = s.get(Outbox, row_id)
                assert row is not None
                row.state = "held"
        result = CliRunner().invoke(main, ["--config", str(path), "outbox", command, str(ids[1])])
        assert result.exit_code == 0, result.output
        with db.read() as s:
            states = [s.get(Outbox, i).state for i in ids]  # type: ignore[union-attr]
        assert states == ["queued", "queued", "queued", "held", "held", "held"], command
    db.dispose()
