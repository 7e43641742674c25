"""Many idle connections over real SMTP: past `[smtp] max_connections` a client gets
421 at once, the log says so once (not once per connection), and mail still flows."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.harness import Daemon, mail


def test_idle_connections_past_the_limit_get_421_and_one_log_line(tmp_path: Path) -> None:
    d = Daemon(tmp_path)
    d.config.write_text(
        d.config.read_text().replace(
            "max_message_size = 1000000", "max_message_size = 1000000\nmax_connections = 20"
        )
    )
    d.start()
    idle: list[socket.socket] = []
    try:
        for _ in range(20):  # every slot taken by an idle client
            s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
            assert s.recv(512).startswith(b"220")
            idle.append(s)
        refused = []
        for _ in range(60):
            s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
            refused.append(s.recv(512))
            s.close()
        assert all(r.startswith(b"421") for r in refused), refused[:3]
        for s in idle[:5]:
            s.close()
        idle = idle[5:]
        assert d.send(mail("Всё ещё работает?", "Да."))[0] == 250
        log = d.log.read_text(errors="replace")
        assert log.count("connection(s) refused") == 1
        assert "Traceback" not in log
    finally:
        for s in idle:
            s.close()
        d.close()
