"""Scale benchmark: the ticket list and the processing on a desk with a long history.

    .venv/bin/python bench/scale.py [--sizes 100000,1000000] [--dir /tmp/helpdesk-scale]
                                    [--postgres 100000] [--keep] [--processing-only]
    .venv/bin/python bench/scale.py --sizes '' --postgres-url URL --listings-only
    .venv/bin/python bench/scale.py --sizes '' --db FILE.db --listings-only

For each size, builds a database with the product's schema (bench/scale_build.py; a
built SQLite file is reused when --keep left it); --postgres-url measures a PostgreSQL
database built before (bench/scale_build.py) instead of building one, upgraded to the
newest schema first; --db lists an SQLite file built before as it is (only read). Then
prints:
  - per listing and filter: the query time in-process (one page and its count; median of
    5 warm runs) and the whole `helpdesk tickets list` command's wall time, CPU time and
    peak RSS (and the machine's load);
  - the processing rate of 1,000 new mails and then 200 threaded replies into that
    database, beside the same on an empty one (and their ratio), after the load of the
    similar-ticket index the daemon does as it starts (its time printed apart);
  - the database size per ticket.
Targets at 1M: every filtered listing's query <= 50 ms, the command <= 0.5 s, memory
flat (`--all` streams: its RSS stays that of one page).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.drain import runner_beside_checkpointer  # noqa: E402
from bench.scale_build import DOMAINS, build  # noqa: E402
from gateway import spool  # noqa: E402
from gateway.daemon.supervisor import prepare_database  # noqa: E402
from gateway.settings import config as config_mod  # noqa: E402
from gateway.similar.warm import warm  # noqa: E402
from gateway.store import listing, plain  # noqa: E402
from gateway.store.db import Database, upgrade  # noqa: E402
from gateway.store.model import Ticket  # noqa: E402
from gateway.store.views import TicketFilter  # noqa: E402
from tests.harness import write_config  # noqa: E402

# Agent 7 as bench/scale_build.py names its users.
AGENT7 = f"user7@{DOMAINS[7 % len(DOMAINS)]}"
CONFIG = "[loop]\nmax_auto_replies_per_day = 1000000\n"


def listings(n: int) -> list[tuple[str, list[str], TicketFilter]]:
    mid = n // 2
    return [
        ("(none)", [], TicketFilter()),
        ("--open", ["--open"], TicketFilter(open=True)),
        ("--closed", ["--closed"], TicketFilter(open=False)),
        ("--indicator red", ["--indicator", "red"], TicketFilter(indicator="red")),
        ("--indicator green", ["--indicator", "green"], TicketFilter(indicator="green")),
        ("--indicator grey", ["--indicator", "grey"], TicketFilter(indicator="grey")),
        ("--status waiting", ["--status", "waiting"], TicketFilter(status="waiting")),
        # An address no user has, then an agent with a thirtieth of the tickets.
        ("--assignee", ["--assignee", "user7@lab.test"], TicketFilter(assignee="user7@lab.test")),
        ("--assignee (agent)", ["--assignee", AGENT7], TicketFilter(assignee=AGENT7)),
        (
            "--requester",
            ["--requester", "user4242@почта.рф"],
            TicketFilter(requester="user4242@почта.рф"),
        ),
        ("--category", ["--category", "printing"], TicketFilter(category="printing")),
        ("--criticality", ["--criticality", "critical"], TicketFilter(criticality="critical")),
        ("--open --criticality", ["--open", "--criticality", "critical"], _oc()),
        (
            "--updated-since",
            ["--updated-since", "2026-11-01"],
            TicketFilter(updated_since=_since()),
        ),
        ("--title vpn", ["--title", "vpn"], TicketFilter(title="vpn")),
        ("--title (rare)", ["--title", "inv50007"], TicketFilter(title="inv50007")),
        ("--text принтер", ["--text", "принтер"], TicketFilter(text="принтер")),
        ("--text (rare)", ["--text", "inv50007"], TicketFilter(text="inv50007")),
        ("--text (none)", ["--text", "zzzqqq"], TicketFilter(text="zzzqqq")),
        # A phrase that never occurs, of a common word and a rare prefix.
        ("--text 'vpn clie'", ["--text", "vpn clie"], TicketFilter(text="vpn clie")),
        ("--title 'vpn clie'", ["--title", "vpn clie"], TicketFilter(title="vpn clie")),
        (f"--before {mid}", ["--before", str(mid)], TicketFilter(before=mid)),
    ]


def _oc() -> TicketFilter:
    return TicketFilter(open=True, criticality="critical")


def _since() -> dt.datetime:
    return dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def query_ms(url: str, f: TicketFilter) -> float:
    """One page and its count, read as the CLI reads them (gateway.store.plain: sqlite3
    on an SQLite file); median of 5 warm runs."""
    times = []
    with plain.reader(url) as read:
        listing.page(read, f, "HD")  # warm
        for _ in range(5):
            t0 = time.perf_counter()
            listing.page(read, f, "HD")
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


# The command run as the `helpdesk` script runs it, reporting its own peak RSS at exit
# (a child's rusage would count the memory of this process it was forked from).
_WRAPPER = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: sys.stderr.write("
    "'RSS %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
    "from gateway.cli.main import main\n"
    "sys.argv[0] = 'helpdesk'\n"
    "main()\n"
)


def command(config: Path, args: list[str]) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) and CPU seconds (user + system: on shared cores the
    steadier figure) of one `helpdesk tickets list` command."""
    argv = [sys.executable, "-c", _WRAPPER, "--config", str(config), "tickets", "list", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"tickets list {' '.join(args)}: {done.stderr.decode()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    rss = [line for line in done.stderr.decode().splitlines() if line.startswith("RSS ")]
    return wall, int(rss[-1].split()[1]), cpu


def _mail(i: int, reply_to: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"bench{i % 300}@{('corp.example.ru', 'mail.example.com', 'lab.test')[i % 3]}"
    msg["To"] = "support@example.com"
    msg["Message-ID"] = f"<{'r' if reply_to else 'n'}{i}@bench.example>"
    if reply_to:
        msg["Subject"] = "Re: принтер не печатает"
        msg["In-Reply-To"] = reply_to
        msg["References"] = reply_to
        msg.set_content("Всё ещё не работает, проверьте, пожалуйста.\n\n> раньше\n")
    else:
        msg["Subject"] = f"VPN drops every hour #{i}" if i % 2 else f"Принтер не печатает {i}"
        msg.set_content(f"Hello,\nrequest number {i}: it stopped working this morning.\n")
    return msg.as_bytes()


def processing(config: Path) -> tuple[float, float, float]:
    """Seconds the daemon's start-up load of the similar-ticket index took, then messages/s
    of 1,000 new mails, then of 200 replies threaded onto them."""
    cfg = config_mod.load(config)
    db = prepare_database(cfg)
    # The WAL checkpointer beside the runner, called between its transactions, as in the
    # daemon.
    with runner_beside_checkpointer(db, cfg) as runner:
        t0 = time.perf_counter()
        with db.read() as s:
            # What the daemon does once as it starts (gateway.daemon.processing), beside its
            # runner: not part of the rate of the mail that follows.
            warm(s, cfg.database_url, cfg.suggestions.categories)
        loaded = time.perf_counter() - t0
        rates: list[float] = []
        cpu_ms: list[float] = []
        for batch in (
            [_mail(i) for i in range(1000)],
            [_mail(i, f"<n{i * 5}@bench.example>") for i in range(200)],
        ):
            with db.write() as s:
                for raw in batch:
                    spool.store(
                        s,
                        raw,
                        source="smtp",
                        mail_from="x@bench.example",
                        rcpt_to=["support@example.com"],
                    )
            t0, c0 = time.perf_counter(), time.process_time()
            runner.drain()
            rates.append(len(batch) / (time.perf_counter() - t0))
            # The processor time as well: on a shared machine the wall rate follows the load.
            cpu_ms.append((time.process_time() - c0) * 1000 / len(batch))
    db.dispose()
    print(f"  processor time per message: {cpu_ms[0]:.1f} ms new, {cpu_ms[1]:.1f} ms replies")
    return loaded, rates[0], rates[1]


def run_size(
    n: int,
    url: str,
    workdir: Path,
    size_of: Path | None,
    listings_too: bool = True,
    processing_too: bool = True,
    only: tuple[str, ...] = (),
) -> float:
    """Prints the figures of one size; returns its rate of new mails (0 without)."""
    config = write_config(workdir, CONFIG)
    config.write_text(
        config.read_text().replace('url = "sqlite:///var/helpdesk.db"', f'url = "{url}"')
    )
    upgrade(url)  # a file --keep kept from an earlier revision
    print(f"\n== {n:,} tickets ({url.split(':')[0]})")
    if listings_too:
        run_listings(n, url, config, only)
    if size_of is not None:
        print(f"database: {size_of.stat().st_size / n:,.0f} bytes per ticket")
    if not processing_too:
        return 0.0
    loaded, new, replies = processing(config)
    print(
        f"processing: {new:,.0f} new mails/s, {replies:,.0f} threaded replies/s "
        f"(similar-ticket index loaded at start in {loaded:.1f} s)"
    )
    return new


def run_listings(n: int, url: str, config: Path, only: tuple[str, ...] = ()) -> None:
    print(f"{'listing':24} {'query ms':>9} {'command s':>10} {'CPU s':>6} {'RSS MiB':>8}")
    worst_q = worst_c = 0.0
    for name, args, f in listings(n):
        if only and not any(word in name for word in only):
            continue
        q = query_ms(url, f)
        wall, rss, cpu = command(config, [*args, "--format", "json"])
        worst_q, worst_c = max(worst_q, q), max(worst_c, wall)
        print(f"{name:24} {q:9.1f} {wall:10.2f} {cpu:6.2f} {rss / 1024:8.0f}")
    for name, args in (
        ("--all --text (rare)", ["--all", "--text", "inv50007"]),
        ("--all --status waiting", ["--all", "--status", "waiting"]),
    ):
        if only and not any(word in name for word in only):
            continue
        wall, rss, cpu = command(config, [*args, "--format", "json"])
        print(f"{name:24} {'':>9} {wall:10.2f} {cpu:6.2f} {rss / 1024:8.0f}")
    print(f"worst query {worst_q:.1f} ms (target <= 50), worst command {worst_c:.2f} s (<= 0.5)")
    print("load: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


def listings_of_file(path: Path, workdir: Path, only: tuple[str, ...]) -> None:
    """The listings on an SQLite file built before, as it is: only read (no copy, no
    upgrade; SQLite may leave an empty -wal and a -shm file beside it)."""
    import sqlite3

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        (n,) = conn.execute("SELECT count(*) FROM tickets").fetchone()
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    url = f"sqlite:///{path}"
    config = write_config(workdir, CONFIG)
    config.write_text(
        config.read_text().replace('url = "sqlite:///var/helpdesk.db"', f'url = "{url}"')
    )
    print(f"\n== {n:,} tickets ({path}, schema revision {revision})")
    run_listings(n, url, config, only)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "helpdesk-scale")
    ap.add_argument("--postgres", type=int, default=0, help="also PostgreSQL with N tickets")
    ap.add_argument("--keep", action="store_true", help="keep (and reuse) the built files")
    ap.add_argument(
        "--processing-only", action="store_true", help="the processing rates, no listings"
    )
    ap.add_argument(
        "--postgres-url", help="measure this PostgreSQL database, built before, as it is"
    )
    ap.add_argument("--listings-only", action="store_true", help="the listings, no processing")
    ap.add_argument(
        "--db", type=Path, help="also the listings on this SQLite file, built before (only read)"
    )
    ap.add_argument(
        "--only", default="", help="the listings whose name holds one of these (comma-separated)"
    )
    opts = ap.parse_args()
    opts.dir.mkdir(parents=True, exist_ok=True)
    only = tuple(word for word in opts.only.split(",") if word)
    processing_too = not opts.listings_only
    empty = Path(tempfile.mkdtemp(dir=opts.dir))
    base = 0.0
    if processing_too:
        _, base, replies = processing(_empty_config(empty))
        print(f"empty database: {base:,.0f} new mails/s, {replies:,.0f} threaded replies/s")
    for n in (int(s) for s in opts.sizes.split(",") if s):
        path = opts.dir / f"scale-{n}.db"
        if not (opts.keep and path.exists()):
            path.unlink(missing_ok=True)
            t0 = time.perf_counter()
            build(f"sqlite:///{path}", n)
            print(f"built {n:,} tickets in {time.perf_counter() - t0:.0f} s")
        work = Path(tempfile.mkdtemp(dir=opts.dir))
        copy = work / "helpdesk.db"
        shutil.copy(path, copy)  # the processing writes: the kept file stays as built
        new = run_size(
            n, f"sqlite:///{copy}", work, copy, not opts.processing_only, processing_too, only
        )
        if processing_too:
            print(f"rate of new mails against the empty database's: {new / base:.2f}")
        shutil.rmtree(work)
    if opts.db is not None:
        work = Path(tempfile.mkdtemp(dir=opts.dir))
        listings_of_file(opts.db.resolve(), work, only)
        shutil.rmtree(work)
    if opts.postgres_url:
        built = Database(opts.postgres_url)
        with built.read() as s:
            n = s.execute(select(func.count()).select_from(Ticket)).scalar_one()
        built.dispose()
        work = Path(tempfile.mkdtemp(dir=opts.dir))
        url = opts.postgres_url
        run_size(n, url, work, None, not opts.processing_only, processing_too, only)
        shutil.rmtree(work)
    if opts.postgres:
        from tests.postgres import private_postgres

        with private_postgres() as url:
            t0 = time.perf_counter()
            build(url, opts.postgres)
            print(
                f"built {opts.postgres:,} tickets on PostgreSQL in {time.perf_counter() - t0:.0f} s"
            )
            work = Path(tempfile.mkdtemp(dir=opts.dir))
            run_size(opts.postgres, url, work, None, not opts.processing_only, processing_too, only)
    shutil.rmtree(empty)


def _empty_config(directory: Path) -> Path:
    return write_config(directory, CONFIG)


if __name__ == "__main__":
    main()
