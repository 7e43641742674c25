"""The daemon's logging: JSON lines with the per-message fields, syslog, reopening."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.daemon.logs import configure, setup_logging


@pytest.fixture(autouse=True)
def restore() -> Iterator[None]:
    yield
    setup_logging("WARNING")


def test_json_lines_carry_the_message_fields(tmp_path: Path) -> None:
    path = tmp_path / "log" / "helpdesk.jsonl"
    configure("INFO", path, "json")
    logging.getLogger("gateway.daemon.runner").info(
        "message #%d %s", 7, "done",
        extra={"message_id": "<a@corp.example.org>", "sender": "пётр@пример.рф", "ticket": "HD-3"},
    )  # fmt: skip
    logging.getLogger("alembic.runtime.migration").info("Running upgrade 0001 -> 0002")
    (line,) = path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert entry["message"] == "message #7 done" and entry["level"] == "INFO"
    assert entry["sender"] == "пётр@пример.рф" and entry["ticket"] == "HD-3"
    assert entry["time"].endswith("+00:00")


def test_reconfiguring_reopens_a_rotated_file(tmp_path: Path) -> None:
    path = tmp_path / "helpdesk.log"
    configure("INFO", path)
    logging.getLogger("gateway").info("before")
    path.rename(tmp_path / "helpdesk.log.1")
    configure("INFO", path)
    logging.getLogger("gateway").info("after")
    assert path.read_text().strip().endswith("gateway: after")
    assert "after" not in (tmp_path / "helpdesk.log.1").read_text()
    # Only our handlers are replaced: one handler writes each line once.
    assert path.read_text().count("after") == 1


def test_syslog_over_udp() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        port = server.getsockname()[1]
        configure("INFO", None, "text", f"127.0.0.1:{port}")
        logging.getLogger("gateway.daemon.runner").warning("message #1 quarantined")
        datagram = server.recv(4096).decode()
    # Facility mail (2) and level warning (4): priority 2 * 8 + 4.
    assert datagram.startswith("<20>helpdesk[")
    assert "WARNING gateway.daemon.runner: message #1 quarantined" in datagram
