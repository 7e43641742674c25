"""IMAP intake faults against a real Dovecot: crash and restart, refused login, TLS, bad mail."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

from click.testing import CliRunner

from gateway.cli.imap import imap
from gateway.settings.config import Config, DatabaseSection
from gateway.store.db import Database

from .helpers import (
    Dovecot,
    client_for,
    insecure_context,
    make_box,
    message,
    run_poller,
    spooled,
    wait_until,
)


def test_dovecot_killed_and_restarted_during_idle(private_dovecot: Dovecot, db: Database) -> None:
    server = private_dovecot
    server.add_user("support")
    box = make_box(server, "support")
    with run_poller(box, db) as running:
        running.wait_state("idle")
        server.kill()
        wait_until(lambda: running.poller.status().consecutive_errors >= 1, timeout=30)
        assert running.poller.status().state in ("backoff", "connecting")
        server.start()
        client = client_for(server, "support")
        client.append("INBOX", message(1))
        client.logout()
        wait_until(lambda: len(spooled(db)) == 1, timeout=30)
        running.wait_state("idle")
        status = running.poller.status()
    assert status.last_error is not None
    assert status.consecutive_errors == 0 and status.last_success is not None


def test_login_refused_is_recorded_and_retried(dovecot: Dovecot, user: str, db: Database) -> None:
    client = client_for(dovecot, user)
    client.append("INBOX", message(1))
    client.logout()
    box = make_box(dovecot, user, password="wrong")
    with run_poller(box, db) as running:
        wait_until(lambda: running.poller.status().consecutive_errors >= 2)
        status = running.poller.status()
        assert "login refused" in (status.last_error or "")
        assert status.state == "backoff" and status.next_retry_at is not None
        # Persisted for `helpdesk imap status`, which runs in another process.
        config = Config(database=DatabaseSection(url=db.url), imap=[box])
        result = CliRunner().invoke(imap, ["status", "--format", "json"], obj=config)
        assert result.exit_code == 0, result.output
        (row,) = json.loads(result.output)
        assert row["name"] == user and "login refused" in row["last_error"]
        # The administrator fixes the password; the next retry gets in.
        box.password = dovecot.password
        wait_until(lambda: len(spooled(db)) == 1)
    assert spooled(db)[0].origin["mailbox"] == user


def test_implicit_tls(dovecot: Dovecot, user: str, db: Database) -> None:
    box = make_box(dovecot, user, port=dovecot.ssl_port, ssl=True)
    client = client_for(dovecot, user)
    client.append("INBOX", message(1))
    client.logout()
    with run_poller(box, db, ssl_context=insecure_context()):
        wait_until(lambda: len(spooled(db)) == 1)


def test_starttls_with_the_servers_certificate(dovecot: Dovecot, user: str, db: Database) -> None:
    context = ssl.create_default_context(cafile=str(dovecot.root / "cert.pem"))
    context.check_hostname = False  # the certificate names localhost, we dial 127.0.0.1
    box = make_box(dovecot, user, starttls=True)
    with run_poller(box, db, ssl_context=context) as running:
        running.wait_state("idle")
        client = client_for(dovecot, user)
        client.append("INBOX", message(1))
        client.logout()
        wait_until(lambda: len(spooled(db)) == 1, timeout=30)


def test_untrusted_certificate_is_an_error(dovecot: Dovecot, user: str, db: Database) -> None:
    box = make_box(dovecot, user, port=dovecot.ssl_port, ssl=True)
    with run_poller(box, db) as running:
        wait_until(lambda: running.poller.status().consecutive_errors >= 1)
        assert "CERTIFICATE_VERIFY_FAILED" in (running.poller.status().last_error or "")


def test_unreadable_message_is_skipped_and_recorded(
    dovecot: Dovecot, user: str, db: Database
) -> None:
    """Dovecot cannot read one file: it is retried, then skipped, left in the folder, shown."""
    client = client_for(dovecot, user)
    for n in range(5):
        client.append("INBOX", message(n, body=f" marker-{n}"))
    client.logout()
    maildir = dovecot.root / "mail" / user

    def unreadable() -> Path:
        (found,) = [p for p in maildir.glob("*/*") if b"marker-2" in p.read_bytes()]
        return found

    unreadable().chmod(0)
    box = make_box(dovecot, user)
    with run_poller(box, db) as running:
        wait_until(lambda: len(spooled(db)) == 4, timeout=15)
        running.wait_state("idle")
        status = running.poller.status()
    assert [r.origin["uid"] for r in spooled(db)] == [1, 2, 4, 5]
    assert [s["uid"] for s in status.skipped] == [3]
    client = client_for(dovecot, user)
    client.select_folder("INBOX", readonly=True)
    assert client.search("ALL") == [3]  # left for a human, not moved as if done
    client.logout()
    # A restart neither takes it nor moves it.
    # (Dovecot may have moved the file from new/ to cur/, so look for it again.)
    for path in maildir.glob("*/*"):
        path.chmod(0o600)
    with run_poller(box, db) as running:
        running.wait_state("idle")
    assert len(spooled(db)) == 4
