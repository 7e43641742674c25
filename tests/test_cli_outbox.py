"""`helpdesk outbox list/retry`: failed mail is visible with its reply and can be resent."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from gateway.cli.main import main
from gateway.settings import config as config_mod
from gateway.store.db import Database, upgrade
from gateway.store.model import Outbox
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
