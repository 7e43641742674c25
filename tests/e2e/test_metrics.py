"""The Prometheus endpoint of a real daemon: counters from both of its processes and the
health gauges, after real SMTP traffic."""

from __future__ import annotations

import smtplib
import urllib.request
from pathlib import Path

from tests.harness import Daemon, free_port, mail, wait_until


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def test_metrics_endpoint(tmp_path: Path) -> None:
    port = free_port()
    daemon = Daemon(tmp_path, extra=f'[metrics]\nlisten = "127.0.0.1:{port}"\n')
    try:
        daemon.start()
        assert daemon.send(mail("Не печатает принтер", "Кабинет 305."))[0] == 250
        assert daemon.send(mail("Hello", "VPN down", sender="joe@corp.example.com"))[0] == 250
        with smtplib.SMTP("127.0.0.1", daemon.port, timeout=30) as client:
            client.ehlo()
            client.mail("x@spam.test")
            assert client.rcpt("nobody@example.com")[0] == 550
        daemon.settle()

        def counted() -> dict[str, float] | None:
            values = scrape(port)
            done = values.get('helpdesk_messages_processed_total{outcome="done"}', 0)
            return values if done == 2 else None

        values = wait_until(counted, 30, "both messages counted")
        assert values['helpdesk_smtp_total{event="accepted"}'] == 2
        assert values['helpdesk_smtp_total{event="refused"}'] == 1
        assert values["helpdesk_processing_latency_seconds_count"] == 2
        assert values["helpdesk_database_up"] == 1
        assert values["helpdesk_backlog"] == 0
        assert values["helpdesk_quarantine"] == 0
        assert values['helpdesk_outbox{state="failed"}'] == 0
        assert "helpdesk_spam_held" in values
        assert daemon.stop() == 0
    finally:
        daemon.close()
