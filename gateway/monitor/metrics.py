"""The Prometheus endpoint (`[metrics] listen`): counters of the mail flow and gauges of
the helpdesk's health.

Counters and the latency histogram are counted where things happen, in both processes
of the daemon; prometheus-client's multiprocess mode (a folder of memory-mapped files
named by $PROMETHEUS_MULTIPROC_DIR, set by the daemon before either process imports the
client) adds them up at each scrape. The gauges are read from the database at each
scrape (gateway.monitor.health: a few indexed counts), so they are right whichever
process or which daemon on a shared database did the work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from gateway.monitor.health import measure
from gateway.store.db import Database

SMTP_EVENTS = Counter(
    "helpdesk_smtp",
    "SMTP intake: messages accepted, recipients refused, messages deferred (4xx).",
    ["event"],
)
PROCESSED = Counter(
    "helpdesk_messages_processed",
    "Messages through the pipeline by outcome (done, ignored, duplicate, held, quarantined).",
    ["outcome"],
)
LATENCY = Histogram(
    "helpdesk_processing_latency_seconds",
    "From a message's receipt to the end of its processing.",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)


def smtp_event(event: str) -> None:
    SMTP_EVENTS.labels(event=event).inc()


def processed(outcome: str, received_at: dt.datetime | None, now: dt.datetime) -> None:
    PROCESSED.labels(outcome=outcome).inc()
    if received_at is not None:
        LATENCY.observe(max(0.0, (now - received_at).total_seconds()))


class HealthCollector(Collector):
    """Gauges from the database at scrape time."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def collect(self) -> Iterator[Metric]:
        now = dt.datetime.now(dt.UTC)
        up = GaugeMetricFamily("helpdesk_database_up", "1 when the database answered the scrape.")
        try:
            with self._db.read() as session:
                health = measure(session, now)
        except Exception:  # a scrape must answer; the database being down is the news
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield _gauge("helpdesk_backlog", "Messages received and not yet processed.", health.backlog)
        age = (now - health.oldest_unprocessed).total_seconds() if health.oldest_unprocessed else 0
        yield _gauge(
            "helpdesk_oldest_unprocessed_seconds", "Age of the oldest unprocessed message.", age
        )
        outbox = GaugeMetricFamily("helpdesk_outbox", "Outgoing mail by state.", labels=["state"])
        for state, count in health.outbox.items():
            outbox.add_metric([state], count)
        yield outbox
        yield _gauge("helpdesk_quarantine", "Messages in quarantine.", health.quarantined)
        yield _gauge("helpdesk_spam_held", "Messages held as spam.", health.held)
        imap_up = GaugeMetricFamily(
            "helpdesk_imap_up", "1 unless the mailbox's poller is in error.", labels=["mailbox"]
        )
        last = GaugeMetricFamily(
            "helpdesk_imap_last_success_timestamp_seconds",
            "When the mailbox was last polled successfully.",
            labels=["mailbox"],
        )
        for box in health.imap:
            name = str(box.get("name", ""))
            imap_up.add_metric([name], 0 if box.get("state") in ("backoff", "error") else 1)
            if box.get("last_success"):
                seen = dt.datetime.fromisoformat(str(box["last_success"]).replace("Z", "+00:00"))
                last.add_metric([name], seen.timestamp())
        yield imap_up
        yield last


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, value=value)


def registry(db: Database, multiprocess_dir: str | None) -> CollectorRegistry:
    """What the endpoint serves: the counters of every process and the health gauges."""
    reg = CollectorRegistry()
    if multiprocess_dir:
        MultiProcessCollector(reg, path=multiprocess_dir)  # type: ignore[no-untyped-call]
    else:
        for metric in (SMTP_EVENTS, PROCESSED, LATENCY):
            reg.register(metric)
    reg.register(HealthCollector(db))
    return reg


def serve(db: Database, listen: str, multiprocess_dir: str | None) -> Any:
    """Start the endpoint's HTTP thread; the server, to shut down at stop."""
    from prometheus_client import start_http_server

    host, _, port = listen.rpartition(":")
    server, _thread = start_http_server(
        int(port), addr=host.strip("[]"), registry=registry(db, multiprocess_dir)
    )
    return server
