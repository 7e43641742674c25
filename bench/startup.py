"""Start-up benchmark: a CLI call and the daemon, from exec to useful.

    .venv/bin/python bench/startup.py [--runs 5] [--db FILE.db] [--postgres-url URL]
        [--no-daemon] [--before SRC]

On an empty desk (schema made once by `helpdesk db upgrade`), prints:
  - the floors, measured in the same run: a bare `python -c pass` and
    `python -c "import sqlalchemy"` (the database layer every command needs);
  - `helpdesk tickets show 1` (a ticket that exists, its JSON) and `helpdesk tickets list`
    wall time (exec to exit; min and median of N runs), each also as a ratio to the
    SQLAlchemy floor, the figure that stays comparable when the machine is loaded;
  - `helpdesk run` ready time: exec to systemd's READY=1 (the bench listens on the
    NOTIFY_SOCKET the daemon writes to), to the first SMTP 220 banner, and to the
    processing child's "processing started" log line (min and median).
With --db, also every listing of bench/scale.py as a whole `tickets list` command (and a
`tickets show` of its newest ticket) against that SQLite file, which is only read (no
upgrade, nothing written; SQLite may leave an empty -wal and a -shm file beside it); with
--postgres-url postgresql+psycopg://..., the same on that PostgreSQL database (only read).
Each CLI figure is wall time and the CPU time (user + system) the call used: on shared
cores the CPU time is the steadier one. --before SRC (a checkout of older code, e.g. a
`git worktree`) times that code too, interleaved with this tree's in the same run: `-m
gateway` run in SRC imports SRC's package.
Targets: the CLI call <= 0.25 s, a listing <= 0.5 s at a million tickets, the daemon
ready <= 2 s. The figures depend on the machine's load, which is printed beside them.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.harness import free_port, write_config  # noqa: E402

HELPDESK = [sys.executable, "-m", "gateway"]


def run_once(argv: list[str], cwd: Path = REPO) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of `argv` (in `cwd`: the
    code whose `-m gateway` runs)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False, cwd=cwd)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)}: {done.stderr.decode()}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, cpu


def cli_argv(config: Path, *args: str) -> list[str]:
    return [*HELPDESK, "--config", str(config), *args]


def one_ticket(config: Path) -> None:
    """A ticket with two messages, taken by the real pipeline, for `tickets show 1`."""
    from gateway import spool
    from gateway.daemon.runner import Runner
    from gateway.daemon.supervisor import prepare_database
    from gateway.services import Services
    from gateway.settings import config as config_mod

    cfg = config_mod.load(config)
    db = prepare_database(cfg)
    with db.write() as s:
        for i, body in enumerate(("Принтер на третьем этаже не печатает.", "Всё ещё нет.")):
            msg = EmailMessage()
            msg["From"] = "Ivan Petrov <ivan@corp.example.ru>"
            msg["To"] = "support@example.com"
            msg["Subject"] = "Re: [HD-1] Принтер" if i else "Принтер"
            msg.set_content(body)
            raw = msg.as_bytes()
            spool.store(s, raw, source="smtp", mail_from="", rcpt_to=["support@example.com"])
    Runner(db, Services.from_config(cfg)).drain()
    db.dispose()


def daemon_once(
    directory: Path, config: Path, port: int, cwd: Path = REPO
) -> tuple[float, float, float]:
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
            [*HELPDESK, "--config", str(config), "run"], stderr=err, stdout=err, env=env, cwd=cwd
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


def _cli_figures(name: str, runs: list[tuple[float, float]], floor: float | None = None) -> str:
    wall = [w for w, _ in runs]
    cpu = statistics.median(c for _, c in runs)
    ratio = f", {statistics.median(wall) / floor:.2f}x the SQLAlchemy floor" if floor else ""
    return f"{_figures(name, wall)}, CPU median {cpu:.3f} s{ratio}"


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load: {one:.2f} {five:.2f}"


def timed(
    argvs: dict[str, list[str]], runs: int, before: Path | None = None
) -> dict[str, list[tuple[float, float]]]:
    """Each command `runs` times (and in `before`'s code, named so), interleaved: a change
    of the machine's load hits every figure alike."""
    times: dict[str, list[tuple[float, float]]] = {}
    for _ in range(runs):
        for name, argv in argvs.items():
            if before is not None and argv[1:2] == ["-m"]:
                times.setdefault(f"{name} [before]", []).append(run_once(argv, before))
            times.setdefault(name, []).append(run_once(argv))
    return times


def database_listings(directory: Path, db: Path, runs: int, before: Path | None) -> None:
    """The whole `tickets list` commands of bench/scale.py on an existing SQLite file."""
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        (newest,) = conn.execute("SELECT max(id) FROM tickets").fetchone()
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    listings_on(directory / "db", f"sqlite:///{db}", str(db), (newest, revision), runs, before)


def postgres_listings(directory: Path, url: str, runs: int, before: Path | None) -> None:
    """The same commands on an existing PostgreSQL database (only read)."""
    from gateway.store import plain

    with plain.reader(url) as read:
        newest = read.value("SELECT max(id) FROM tickets", {})
        revision = read.value("SELECT version_num FROM alembic_version", {})
    listings_on(directory / "pg", url, url, (newest, revision), runs, before)


def listings_on(
    directory: Path,
    url: str,
    label: str,
    found: tuple[int, str],
    runs: int,
    before: Path | None,
) -> None:
    """`tickets show` of the newest ticket and every listing of bench/scale.py as whole
    commands on the database at `url` (`found`: its newest ticket and schema revision)."""
    from bench.scale import listings

    newest, revision = found
    directory.mkdir()
    config = write_config(directory, port=free_port())
    config.write_text(config.read_text().replace('"sqlite:///var/helpdesk.db"', f'"{url}"'))
    print(f"\n== {label} ({newest:,} tickets, schema revision {revision}); {_load()}")
    argvs = {"python -c 'import sqlalchemy'": [sys.executable, "-c", "import sqlalchemy"]}
    argvs[f"tickets show {newest}"] = cli_argv(config, "tickets", "show", str(newest))
    for name, args, _filter in listings(newest):
        argvs[f"tickets list {name}"] = cli_argv(config, "tickets", "list", *args)
    times = timed(argvs, runs, before)
    floor = statistics.median(w for w, _ in times["python -c 'import sqlalchemy'"])
    for name, values in times.items():
        print(_cli_figures(name, values, floor))
    print(_load())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path, help="also the listings on this SQLite file (read)")
    parser.add_argument(
        "--postgres-url", help="also the listings on this PostgreSQL database (read)"
    )
    parser.add_argument("--no-daemon", action="store_true", help="the CLI calls only")
    parser.add_argument("--before", type=Path, help="also time this checkout's code")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="helpdesk-startup-") as tmp:
        directory = Path(tmp)
        port = free_port()
        config = write_config(directory, port=port)
        subprocess.run([*HELPDESK, "--config", str(config), "db", "upgrade"], check=True)
        one_ticket(config)
        print(_load())
        argvs = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import sqlalchemy'": [sys.executable, "-c", "import sqlalchemy"],
            "tickets show 1": cli_argv(config, "tickets", "show", "1", "--format", "json"),
            "tickets show 1 (table)": cli_argv(config, "tickets", "show", "1"),
            "tickets list": cli_argv(config, "tickets", "list"),
            "tickets list --format json": cli_argv(config, "tickets", "list", "--format", "json"),
        }
        before = args.before.resolve() if args.before else None
        times = timed(argvs, args.runs, before)
        floor = statistics.median(w for w, _ in times["python -c 'import sqlalchemy'"])
        for name, values in times.items():
            target = "  (target <= 0.25 s)" if name.startswith("tickets show") else ""
            print(_cli_figures(name, values, floor) + target)
        if not args.no_daemon:
            codes = [REPO, before] if before else [REPO]
            daemon_runs: dict[Path, list[tuple[float, float, float]]] = {c: [] for c in codes}
            for _ in range(args.runs):
                for code in codes:
                    daemon_runs[code].append(daemon_once(directory, config, port, code))
            for code, runs in daemon_runs.items():
                mark = " [before]" if code != REPO else ""
                ready = _figures(f"daemon READY=1{mark}", [r[0] for r in runs])
                print(ready + "  (target <= 2 s)")
                print(_figures(f"daemon SMTP 220{mark}", [r[1] for r in runs]))
                print(_figures(f"daemon processing started{mark}", [r[2] for r in runs]))
        print(_load())
        if args.db is not None:
            database_listings(directory, args.db.resolve(), args.runs, before)
        if args.postgres_url is not None:
            postgres_listings(directory, args.postgres_url, args.runs, before)


if __name__ == "__main__":
    main()
