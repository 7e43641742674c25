"""Hostile mail against a real daemon: HTML bombs, an auto-responder loop and a fuzz of
mutated real-world mail, while a probe keeps sending ordinary mail.

Prints, per case, the time it took and the longest wait of the probe for its 250 (the
intake stall), then checks that every stored message ended as a ticket, a duplicate, or
in quarantine (held as spam included) with a reason.

Usage: python bench/hostile.py [--mutants 1000] [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import email.policy
import multiprocessing as mp
import random
import smtplib
import sys
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path

from sqlalchemy import select

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gateway.store.model import Inbound, Outbox  # noqa: E402
from tests.corpora import corpora_dir  # noqa: E402
from tests.harness import Daemon, mail, wait_until  # noqa: E402
from tests.hostile.test_html_bombs import bomb  # noqa: E402
from tests.hostile.test_loops import REQUESTER, WORDS, run_loop  # noqa: E402

CORPORA = ("zammad/test/data/mail", "stalwart_mail_parser", "mailparser_spamscope/tests/mails")


class Probe:
    """Ordinary mail every 100 ms from a process of its own, as another sender is; the
    longest wait for 250 since the last `reset`.

    A thread of this process would share its interpreter lock with the code that builds
    the bombs and the mutants, and count that code's time as the daemon's stall.
    """

    def __init__(self, daemon: Daemon) -> None:
        ctx = mp.get_context("fork")
        # The longest wait, when it began (time.monotonic: the same clock in every
        # process), and the replies that were not 250, all since the last reset.
        self._longest = ctx.Value("d", 0.0)
        self._longest_at = ctx.Value("d", 0.0)
        self._failures = ctx.Value("i", 0)
        self._stop = ctx.Event()
        self.running = ctx.Event()
        self.running.set()
        self._process = ctx.Process(target=self._run, args=(daemon.port,), daemon=True)
        self._process.start()

    @property
    def longest(self) -> float:
        return float(self._longest.value)

    @property
    def longest_at(self) -> float:
        return float(self._longest_at.value)

    def _run(self, port: int) -> None:
        i = 0
        while not self._stop.is_set():
            if not self.running.wait(0.1):
                continue
            i += 1
            raw = mail(f"probe {i}", "ordinary mail", sender=f"probe{i % 50}@corp.example.com")
            data = raw.as_bytes(policy=email.policy.SMTP)
            start = time.monotonic()
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                    client.ehlo()
                    client.mail("sender@example.org")
                    client.rcpt("support@example.com")
                    code, _ = client.data(data)
            except (OSError, smtplib.SMTPException):
                code = 0
            took = time.monotonic() - start
            with self._longest.get_lock():
                if took > self._longest.value:
                    self._longest.value, self._longest_at.value = took, start
            if code != 250:
                with self._failures.get_lock():
                    self._failures.value += 1
            self._stop.wait(0.1)

    def reset(self) -> tuple[float, int]:
        with self._longest.get_lock(), self._failures.get_lock():
            figures = float(self._longest.value), int(self._failures.value)
            self._longest.value, self._failures.value = 0.0, 0
        return figures

    def stop(self) -> None:
        self._stop.set()
        self._process.join(10)


def report(name: str, took: float, probe: Probe) -> None:
    stall, failures = probe.reset()
    print(f"{name:<22} {took:8.2f} s   longest intake stall {stall:6.2f} s   non-250: {failures}")


def corpus_files() -> list[Path]:
    root = corpora_dir()
    files: list[Path] = []
    for sub in CORPORA:
        folder = root / sub
        if folder.is_dir():
            files += [p for p in sorted(folder.rglob("*")) if p.is_file() and p.stat().st_size]
    return [p for p in files if p.suffix not in (".yml", ".json", ".txt", ".md")]


KINDS = (
    "flipped bytes",
    "truncated",
    "8-bit headers",
    "1,000 Received",
    "deep HTML part",
    "2,000 Cc",
    "bidi filenames",
    "body repeated",
)


def mutate(raw: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One of the ways hostile or broken mail differs from the original, and its name."""
    kind = rng.randrange(8)
    return KINDS[kind], _mutated(raw, kind, rng)


def _mutated(raw: bytes, kind: int, rng: random.Random) -> bytes:
    head, sep, body = raw.partition(b"\n\n")
    if kind == 0:  # flipped bytes anywhere
        data = bytearray(raw)
        for _ in range(rng.randint(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if kind == 1:  # truncated
        return raw[: rng.randint(1, len(raw))]
    if kind == 2:  # 8-bit and control bytes in headers
        extra = b"Subject: \xd0\x9f\xd1\x80\x00\x1b[2J\xff\r\nMessage-ID: <\xcf\xf0\xe8@x.ru>\r\n"
        return extra + raw
    if kind == 3:  # a header repeated a thousand times
        return b"Received: from x by y; Wed, 2 Dec 2026 10:00:00 +0000\r\n" * 1000 + raw
    if kind == 4:  # a deep HTML part appended
        html = b"<div>" * 5000 + b"x" + b"</div>" * 5000
        return head + b"\nContent-Type: text/html\n\n" + html
    if kind == 5:  # thousands of Cc
        cc = b", ".join(b"v%d@m%d.example.ru" % (i, i % 30) for i in range(2000))
        return b"Cc: " + cc + b"\r\n" + raw
    if kind == 6:  # a bidi control in every filename
        return raw.replace(b'filename="', b'filename="\xe2\x80\xae')
    return head + sep + body * rng.randint(2, 5)  # the body repeated


def check_every_message(daemon: Daemon) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    with daemon.db.read() as s:
        for row in s.scalars(select(Inbound)):
            if row.state == "done" and row.ticket_id is not None:
                outcomes["ticket"] += 1
            elif row.state == "duplicate":
                outcomes["duplicate"] += 1
            elif row.state in ("quarantined", "held") and (row.error or row.trace):
                outcomes["quarantine with a reason"] += 1
            elif row.state == "done" and row.trace:
                outcomes["done without a ticket, traced"] += 1
            else:
                outcomes[f"UNACCOUNTED ({row.state})"] += 1
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="run in DIR and keep it")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="hostile-"))
    directory.mkdir(parents=True, exist_ok=True)
    daemon = Daemon(directory)
    daemon.config.write_text(
        daemon.config.read_text().replace(
            "max_message_size = 1000000", "max_message_size = 30000000"
        )
    )
    daemon.start()
    probe = Probe(daemon)
    settle = daemon.settle

    def settle_quietly(timeout: float = 20.0) -> None:
        # The probe's own mail would keep the spool from ever being empty.
        was_running = probe.running.is_set()
        probe.running.clear()
        try:
            settle(max(timeout, 180.0))
        finally:
            if was_running:
                probe.running.set()

    daemon.settle = settle_quietly  # type: ignore[method-assign]
    try:
        for name, size, unit in (
            ("bomb div 1 MB", 1_000_000, ("<div>", "</div>")),
            ("bomb div 10 MB", 10_000_000, ("<div>", "</div>")),
            ("bomb tables 1.3 MB", 1_300_000, ("<table><tr><td>", "</td></tr></table>")),
        ):
            start = time.monotonic()
            sender = f"bomb{size}@attacker.example.com"
            assert daemon.send(bomb(name, size, unit, sender), mail_from=sender)[0] == 250
            wait_until(partial(stored, daemon, name), 300, name)
            report(name, time.monotonic() - start, probe)

        rng = random.Random(args.seed)
        # The loop is measured alone: the probe's notices to the agent would feed it.
        probe.running.clear()
        start = time.monotonic()
        sent = run_loop(daemon, "Re: ", lambda: " ".join(rng.choice(WORDS) for _ in range(12)))
        with daemon.db.read() as s:
            rows = [r for r in s.scalars(select(Outbox)) if REQUESTER in r.rcpt_to or r.ticket_id]
        held = sum(r.state == "held" for r in rows)
        report(f"loop ({sent} auto-replies)", time.monotonic() - start, probe)
        probe.running.set()
        print(f"{'':<22} loop: {len(rows) - held} mails sent about tickets, {held} held")

        files = corpus_files()
        if not files:
            print(f"no corpora under {corpora_dir()}: fuzz skipped", file=sys.stderr)
        else:
            start = time.monotonic()
            refused = 0
            sent_at: list[tuple[float, str, int]] = []
            for i in range(args.mutants):
                kind, raw = mutate(files[rng.randrange(len(files))].read_bytes(), rng)
                sent_at.append((time.monotonic(), kind, len(raw)))
                try:
                    code, _ = daemon.send(raw, mail_from=f"fuzz{i}@corp.example.org")
                except Exception:  # the client's own encoder refusing the mutant
                    code = -1
                refused += code != 250
            daemon.settle(600)
            took = time.monotonic() - start
            at, longest = probe.longest_at, probe.longest
            report(f"fuzz ({args.mutants} mutants)", took, probe)
            # What arrived in the 5 s before the longest stall began and during it.
            window = [(k, n) for t, k, n in sent_at if at - 5 <= t <= at + longest]
            print(
                f"{'':<22} fuzz: around the longest stall: "
                + ", ".join(f"{k} ({n // 1024} KB)" for k, n in window[-12:])
            )
            print(
                f"{'':<22} fuzz: {took / max(1, args.mutants) * 1000:.0f} ms each, "
                f"{refused} not 250"
            )
    finally:
        probe.stop()
    daemon.settle(600)
    outcomes = check_every_message(daemon)
    for outcome, count in sorted(outcomes.items()):
        print(f"stored messages: {count:6d} {outcome}")
    daemon.close()
    bad = [o for o in outcomes if o.startswith("UNACCOUNTED")]
    print("every stored message is accounted for" if not bad else "SOME MESSAGES UNACCOUNTED")
    return 1 if bad else 0


def stored(daemon: Daemon, subject: str) -> bool:
    from gateway.store.model import Message

    with daemon.db.read() as s:
        return s.scalar(select(Message.id).where(Message.subject == subject)) is not None


if __name__ == "__main__":
    sys.exit(main())
