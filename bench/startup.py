"""Start-up benchmark: a CLI call and the daemon, from exec to useful.

    .venv/bin/python bench/startup.py [--runs 5]

On an empty desk (schema made once by `helpdesk db upgrade`), prints:
  - `helpdesk tickets show 1` wall time (exec to exit; min and median of N runs);
  - `helpdesk run` ready time: exec to systemd's READY=1 (the bench listens on the
    NOTIFY_SOCKET the daemon writes to), to the first SMTP 220 banner, and to the
    processing child's "processing started" log line (min and median).
Targets: the CLI call <= 0.25 s, the daemon ready <= 2 s. The figures depend on the
machine's load, which is printed beside them.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.harness import free_port, write_config  # noqa: E402

HELPDESK = [sys.executable, "-m", "gateway"]


def cli_once(config: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [*HELPDESK, "--config", str(config), "tickets", "show", "1"],
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - start


def daemon_once(directory: Path, config: Path, port: int) -> tuple[float, float, float]:
    """Seconds from exec to READY=1, to the SMTP banner and to processing started."""
    notify_path = directory / "notify.sock"
    notify_path.unlink(missing_ok=True)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify.setblocking(False)
    log = directory / "daemon.log"
    env = {**os.environ, "NOTIFY_SOCKET": str(notify_path)}
    start = time.perf_counter()
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [*HELPDESK, "--config", str(config), "run"], stderr=err, stdout=err, env=env
        )
    ready = banner = processing = 0.0
    try:
        while not (ready and banner and processing):
            now = time.perf_counter() - start
            if now > 30 or proc.poll() is not None:
                raise SystemExit(f"daemon did not get ready:\n{log.read_text()}")
            try:
                if b"READY=1" in notify.recv(4096) and not ready:
                    ready = now
            except BlockingIOError:
                pass
            if not banner:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                        if conn.recv(3) == b"220":
                            banner = time.perf_counter() - start
                except OSError:
                    pass
            if not processing and b"processing started" in log.read_bytes():
                processing = time.perf_counter() - start
            time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        notify.close()
    return ready, banner, processing


def _figures(name: str, values: list[float]) -> str:
    return f"{name}: min {min(values):.3f} s, median {statistics.median(values):.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="helpdesk-startup-") as tmp:
        directory = Path(tmp)
        port = free_port()
        config = write_config(directory, port=port)
        subprocess.run([*HELPDESK, "--config", str(config), "db", "upgrade"], check=True)
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
        cli = [cli_once(config) for _ in range(args.runs)]
        print(_figures("tickets show 1", cli) + "  (target <= 0.25 s)")
        runs = [daemon_once(directory, config, port) for _ in range(args.runs)]
        print(_figures("daemon READY=1", [r[0] for r in runs]) + "  (target <= 2 s)")
        print(_figures("daemon SMTP 220", [r[1] for r in runs]))
        print(_figures("daemon processing started", [r[2] for r in runs]))
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")


if __name__ == "__main__":
    main()
