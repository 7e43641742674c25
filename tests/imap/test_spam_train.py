"""`helpdesk spam train --imap-folder`: learn from a mailbox's Junk folder and Inbox, read-only."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from gateway.cli.main import main
from tests.harness import write_config
from tests.spam.corpus import ham, spam

from .helpers import Dovecot, client_for


def test_train_from_junk_and_inbox_leaves_the_mailbox_alone(
    dovecot: Dovecot, user: str, tmp_path: Path
) -> None:
    client = client_for(dovecot, user)
    client.create_folder("Junk")
    for i in range(12):
        client.append("INBOX", ham(i))
        client.append("Junk", spam(i))
    extra = (
        f'[[imap]]\nname = "desk"\nhost = "{dovecot.host}"\nport = {dovecot.port}\n'
        f'username = "{user}"\npassword = "{dovecot.password}"\n'
    )
    config = write_config(tmp_path, extra)
    runner = CliRunner()
    assert runner.invoke(main, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    result = runner.invoke(
        main, ["--config", str(config), "spam", "train", "--imap-folder", "Junk"]
    )
    assert result.exit_code == 0, result.output
    assert "learned 12 ham and 12 spam" in result.stdout
    stats = runner.invoke(main, ["--config", str(config), "spam", "stats", "--format", "json"])
    assert json.loads(stats.stdout)["trained"] is True

    for folder in ("INBOX", "Junk"):  # nothing moved, nothing marked \Seen
        client.select_folder(folder, readonly=True)
        assert len(client.search("ALL")) == 12
        assert client.search("SEEN") == []
    missing = runner.invoke(
        main, ["--config", str(config), "spam", "train", "--imap-folder", "NoSuchFolder"]
    )
    assert missing.exit_code != 0 and "cannot read folder 'NoSuchFolder'" in missing.stderr
    wrong = runner.invoke(
        main, ["--config", str(config), "spam", "train", "--imap-folder", "Junk", "--mailbox", "x"]
    )
    assert wrong.exit_code != 0 and "no [[imap]] mailbox named 'x'" in wrong.stderr
    client.logout()
