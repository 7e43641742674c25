"""The daemon with an IMAP mailbox: mail appended to a real Dovecot becomes a ticket, with its
confirmation, is moved to Processed, and routes to the mailbox's category."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.dovecot import Dovecot
from tests.harness import Daemon, mail, wait_until


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot(tls=False, users=("printers",))
    server.start()
    yield server
    server.cleanup()


def test_appended_mail_becomes_a_ticket_in_the_mailbox_category(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    extra = f"""
[[imap]]
name = "printers"
host = "127.0.0.1"
port = {dovecot.port}
username = "printers"
password = "{dovecot.password}"
folder = "INBOX"
processed_folder = "Processed"
idle = true
poll_seconds = 300
category = "printers"
address = "printers@example.com"
"""
    daemon = Daemon(tmp_path, extra).start()
    try:
        with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
            client.login("printers", dovecot.password)
            # Let the poller reach IDLE, then append: delivery is pushed, not polled.
            wait_until(
                lambda: "idle" in daemon.cli("imap", "status", "--format", "json").output,
                60,
                "the mailbox poller to idle",
            )
            started = time.monotonic()
            client.append(
                "INBOX",
                mail(
                    "Принтер зажёвывает бумагу", "Третий этаж", sender="nina@corp.example.org"
                ).as_bytes(),
            )
            wait_until(lambda: daemon.tickets(), 10, "a ticket from IMAP")
            assert time.monotonic() - started < 5
            daemon.settle()
            client.select_folder("INBOX")
            assert client.search("ALL") == []
            client.select_folder("Processed")
            assert len(client.search("ALL")) == 1
        listing = json.loads(daemon.cli("tickets", "list", "--format", "json").output)
        assert [(t["category"], t["requester"]) for t in listing] == [
            ("printers", "nina@corp.example.org")
        ]
        assert len(daemon.outgoing_to("nina@corp.example.org")) == 1
        status = json.loads(daemon.cli("imap", "status", "--format", "json").output)
        assert status[0]["name"] == "printers" and status[0]["last_error"] in (None, "")
        assert daemon.stop() == 0
    finally:
        daemon.close()
