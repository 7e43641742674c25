"""Parse the public mail corpora and print crash counts and agreement with expected results.

Usage: python bench/corpus_sweep.py [CORPORA_DIR]   (default: ../shared/corpora from the repo)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from gateway.parse import ParsedMessage, parse_message

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.corpus_expect import (  # noqa: E402
    CURRENT,
    Tally,
    expect_spamscope,
    expect_stalwart,
    expect_zammad,
)
from bench.corpus_replies import reply_agreement  # noqa: E402

SWEEP = {
    "zammad": "zammad/test/data/mail",
    "stalwart": "stalwart_mail_parser",
    "spamscope": "mailparser_spamscope/tests/mails",
    "rt": "rt_emails/t/data/emails",
}
SKIP_SUFFIXES = (".yml", ".json", ".txt")
SKIP_NAMES = {"LICENSE", "COPYING", "SOURCE.txt"}


def corpus_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix not in SKIP_SUFFIXES and p.name not in SKIP_NAMES
    )


def sweep(root: Path, verbose: bool) -> int:
    expecters = {"zammad": expect_zammad, "stalwart": expect_stalwart,
                 "spamscope": expect_spamscope}  # fmt: skip
    crashes = 0
    for corpus, rel in SWEEP.items():
        tally: Tally = Counter()
        files = corpus_files(root / rel)
        for path in files:
            try:
                msg = parse_message(path.read_bytes())
            except Exception as exc:
                crashes += 1
                tally["crashes"] += 1
                print(f"  CRASH {path}: {exc!r}")
                continue
            tally["fallback"] += any("used mail-parser" in p for p in msg.problems)
            CURRENT[0] = str(path.relative_to(root))
            if corpus in expecters:
                expecters[corpus](path, msg, tally)
        figures = [f"files {len(files)}", f"crashes {tally['crashes']}",
                   f"mail-parser fallbacks {tally['fallback']}"]  # fmt: skip
        for key in sorted(k[:-2] for k in tally if k.endswith("_n")):
            figures.append(f"{key} {tally[key + '_ok']}/{tally[key + '_n']}")
        print(f"{corpus:10s} " + ", ".join(figures))
        if verbose:
            for key in sorted(k for k in tally if k.startswith("failed ")):
                print(f"    {key}")
    return crashes


# --- the same corpora through `deliver` and the runner, compared on what was stored ------
def deliver_sweep(root: Path, verbose: bool) -> int:
    """Every file through `helpdesk deliver`'s code path and the real pipeline.

    Counts messages that did not become (or join) a ticket, and compares the stored
    ticket's subject, requester and attachment names with the expected files.
    """
    import tempfile

    from sqlalchemy import select

    from gateway.daemon.runner import Runner
    from gateway.daemon.supervisor import prepare_database
    from gateway.intake.pipe import deliver
    from gateway.parse import Address, ParsedAttachment
    from gateway.services import Services
    from gateway.settings import config as config_mod
    from gateway.store.model import Attachment, Inbound, Message, Ticket

    expecters = {"zammad": expect_zammad, "stalwart": expect_stalwart}
    problems = 0
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "helpdesk.toml").write_text(
            '[helpdesk]\naddress = "support@helpdesk.example"\n'
            '[database]\nurl = "sqlite:///var/helpdesk.db"\n'
            "[loop]\nmax_auto_replies_per_day = 1000000\n"
        )
        cfg = config_mod.load(Path(tmp) / "helpdesk.toml")
        db = prepare_database(cfg)
        runner = Runner(db, Services.from_config(cfg))
        for corpus, rel in SWEEP.items():
            tally: Tally = Counter()
            files = corpus_files(root / rel)
            rows: dict[int, Path] = {}
            for path in files:
                result = deliver(cfg, db, path.read_bytes(), [], "")
                if result.row_id is None:
                    tally["refused"] += 1
                    print(f"  REFUSED {path}: {result.message}")
                    continue
                rows[result.row_id] = path
            runner.drain()
            with db.read() as s:
                for row_id, path in rows.items():
                    row = s.get(Inbound, row_id)
                    assert row is not None
                    if row.state == "quarantined":
                        tally["quarantined"] += 1
                        print(f"  QUARANTINED {path}: {(row.error or '').splitlines()[-1:]}")
                        continue
                    message = s.scalar(select(Message).where(Message.inbound_id == row_id))
                    ticket = s.get(Ticket, row.ticket_id) if row.ticket_id else None
                    if message is None or ticket is None:
                        tally[f"state {row.state}"] += 1
                        continue
                    tally["tickets"] += 1
                    names = s.scalars(
                        select(Attachment.filename).where(Attachment.message_id == message.id)
                    ).all()
                    author = message.author
                    stored = ParsedMessage(
                        subject=message.subject,
                        sender=Address(
                            author.name if author else "", author.email if author else ""
                        ),
                        attachments=[
                            ParsedAttachment(filename=n, content_type="", data=b"") for n in names
                        ],
                    )
                    CURRENT[0] = str(path.relative_to(root))
                    if corpus in expecters:
                        expecters[corpus](path, stored, tally)
            problems += tally["refused"] + tally["quarantined"]
            figures = [
                f"files {len(files)}",
                f"stored as messages {tally['tickets']}",
                f"refused {tally['refused']}",
                f"quarantined {tally['quarantined']}",
            ]
            figures += [f"{k} {v}" for k, v in sorted(tally.items()) if k.startswith("state ")]
            for key in sorted(k[:-2] for k in tally if k.endswith("_n")):
                if key in ("subject", "sender", "attachments"):
                    figures.append(f"{key} {tally[key + '_ok']}/{tally[key + '_n']}")
            print(f"deliver {corpus:10s} " + ", ".join(figures))
            if verbose:
                for key in sorted(k for k in tally if k.startswith("failed ")):
                    print(f"    {key}")
        db.dispose()
    return problems


def _beside(name: str) -> Any:
    """A bench script beside this one, as a module (bench/ is no package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="?", type=Path, default=REPO.parent / "shared/corpora")
    parser.add_argument("-v", "--verbose", action="store_true", help="list failed checks")
    parser.add_argument(
        "--deliver",
        action="store_true",
        help="also put every file through deliver and the pipeline",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    crashes = sweep(args.corpora, args.verbose)
    if args.deliver:
        crashes += deliver_sweep(args.corpora, args.verbose)
    reply_agreement(args.corpora, args.verbose)
    bounce_sweep = _beside("bounce_sweep")
    bounce_sweep.direct(args.corpora / "sisimai_bounces", args.verbose)
    if args.deliver:
        bounce_sweep.delivered(args.corpora / "sisimai_bounces", args.verbose)
    print(f"total {time.perf_counter() - start:.1f} s, crashes {crashes}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
