"""Bounce reasons against sisimai's expected verdicts: read directly, and through `deliver`.

Usage: python bench/bounce_sweep.py [CORPUS_DIR] [-v] [--deliver]
(default: ../shared/corpora/sisimai_bounces). Each expected recipient counts once; ours
agree when the file's reports hold the same reason. Per-reason counts are printed, and
the hard/soft flag against sisimai's `hardbounce` where the corpus gives it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from gateway.bounces import read_bounce

REPO = Path(__file__).resolve().parent.parent
Expected = dict[str, list[dict[str, object]]]


def load(root: Path) -> tuple[Expected, dict[str, Path]]:
    expected: Expected = json.loads((root / "expected.json").read_text("utf-8"))
    files = {p.name: p for p in root.rglob("*.eml")}
    return expected, files


def score(expected: Expected, ours: dict[str, list[str]], verbose: bool, label: str) -> float:
    """Print agreement overall and per expected reason; return the overall share."""
    total, agree = Counter[str](), Counter[str]()
    misses: list[str] = []
    for name, want in expected.items():
        got = ours.get(name)
        if got is None:
            continue
        left = list(got)
        for entry in want:
            reason = str(entry["reason"])
            total[reason] += 1
            if reason in left or (not left and reason in got):
                if reason in left:
                    left.remove(reason)
                agree[reason] += 1
            else:
                misses.append(f"    {name}: expected {reason}, ours {got or ['(not a bounce)']}")
    n, ok = sum(total.values()), sum(agree.values())
    print(f"{label}: reason agreement {ok}/{n} = {ok / max(n, 1):.1%}")
    for reason in sorted(total, key=lambda r: (-total[r], r)):
        print(f"    {reason:16s} {agree[reason]:4d}/{total[reason]}")
    if verbose:
        print("\n".join(misses))
    return ok / max(n, 1)


def hardness(expected: Expected, ours: dict[str, list[tuple[str, bool]]], verbose: bool) -> None:
    """Print how often our hard/soft flag agrees with sisimai's `hardbounce`, over the
    expected recipients whose reason we gave too (a flag for a wrong reason says little)."""
    total = agree = 0
    misses: list[str] = []
    for name, want in expected.items():
        left = list(ours.get(name, []))
        for entry in want:
            if "hardbounce" not in entry:
                continue
            reason, hard = str(entry["reason"]), bool(entry["hardbounce"])
            same = next((x for x in left if x[0] == reason), None)
            if same is None:
                continue
            left.remove(same)
            total += 1
            if same[1] == hard:
                agree += 1
            else:
                misses.append(f"    {name}: {reason} expected hard={hard}, ours hard={same[1]}")
    print(f"hard/soft agreement {agree}/{total} = {agree / max(total, 1):.1%}")
    if verbose:
        print("\n".join(misses))


def direct(root: Path, verbose: bool) -> float:
    expected, files = load(root)
    ours: dict[str, list[str]] = {}
    flags: dict[str, list[tuple[str, bool]]] = {}
    for name in expected:
        path = files.get(name)
        if path is None:
            continue
        report = read_bounce(path.read_bytes())
        ours[name] = [f.reason for f in report.failures] if report else []
        flags[name] = [(f.reason, f.hard) for f in report.failures] if report else []
    share = score(expected, ours, verbose, "bounces (read_bounce)")
    hardness(expected, flags, verbose)
    return share


def delivered(root: Path, verbose: bool) -> float:
    """Every file through `deliver` and the pipeline; the verdicts stored per message."""
    import tempfile

    from sqlalchemy import select

    from gateway.daemon.runner import Runner
    from gateway.daemon.supervisor import prepare_database
    from gateway.intake.pipe import deliver
    from gateway.services import Services
    from gateway.settings import config as config_mod
    from gateway.store.model import Bounce, Inbound, Ticket

    expected, files = load(root)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "helpdesk.toml").write_text(
            '[helpdesk]\naddress = "support@helpdesk.example"\n'
            '[database]\nurl = "sqlite:///var/helpdesk.db"\n'
        )
        cfg = config_mod.load(Path(tmp) / "helpdesk.toml")
        db = prepare_database(cfg)
        runner = Runner(db, Services.from_config(cfg))
        ids: dict[int, str] = {}
        for name in expected:
            path = files.get(name)
            if path is None:
                continue
            result = deliver(cfg, db, path.read_bytes(), [], "")
            if result.row_id is not None:
                ids[result.row_id] = name
        runner.drain()
        ours: dict[str, list[str]] = {name: [] for name in ids.values()}
        with db.read() as s:
            by_row: dict[int, list[str]] = {}
            for b in s.scalars(select(Bounce).order_by(Bounce.id)):
                by_row.setdefault(b.inbound_id, []).append(b.reason)
            # A file that is a copy of an earlier one (same Message-ID and body: sisimai's
            # set has a few) is processed once; its verdict is the earlier one's.
            done = {r.dedupe_key: r.id for r in s.scalars(select(Inbound)) if r.state == "done"}
            copies = 0
            for r in s.scalars(select(Inbound)):
                row_id = r.id
                if r.state == "duplicate" and r.dedupe_key in done:
                    row_id, copies = done[r.dedupe_key], copies + 1
                if r.id in ids:
                    ours[ids[r.id]] = list(by_row.get(row_id, []))
            states = Counter(s.scalars(select(Inbound.state)).all())
            tickets = s.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1)) or 0
        db.dispose()
    print(
        f"deliver: {len(ids)} messages, states {dict(states)}, tickets opened {tickets}, "
        f"copies of an earlier file given its verdict {copies}"
    )
    return score(expected, ours, verbose, "bounces (deliver)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "corpus", nargs="?", type=Path, default=REPO.parent / "shared/corpora/sisimai_bounces"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list disagreements")
    parser.add_argument("--deliver", action="store_true", help="also through deliver")
    args = parser.parse_args()
    start = time.perf_counter()
    direct(args.corpus, args.verbose)
    if args.deliver:
        delivered(args.corpus, args.verbose)
    print(f"total {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
