"""Build classifier/starter/starter.bin.xz, what `helpdesk spam train --starter` learns.

A seeded sample of the SpamAssassin public corpus (easy, hard ham and both spam sets) and
of the tg-spam Russian lines, the latter as plain one-part messages with the same
headers for ham and spam (the text is the lesson, not the headers). The file's records
are ``<ham|spam> <source> <length>\\n`` followed by that many raw bytes. The messages left
out are what bench/spam.py --starter judges the starter model on.

Run: python scripts/build_starter.py [--corpora ../shared/corpora]
"""

from __future__ import annotations

import argparse
import lzma
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from classifier.starter import SAMPLE, STARTER_FILE, wrap_line


def sa_files(root: Path) -> list[tuple[str, Path]]:
    """The SpamAssassin messages chosen for the starter, as (folder, path)."""
    rng = random.Random(16)
    chosen: list[tuple[str, Path]] = []
    for folder, n in SAMPLE.items():
        files = sorted(p for p in (root / folder).iterdir() if p.is_file())
        chosen.extend((folder, p) for p in sorted(rng.sample(files, min(n, len(files)))))
    return chosen


_CYRILLIC = re.compile("[а-яё]", re.I)


def tg_messages(root: Path, n: int) -> list[tuple[bool, bytes]]:
    rng = random.Random(16)
    out: list[tuple[bool, bytes]] = []
    for name, is_spam in (("ham-samples.txt", False), ("spam-samples.txt", True)):
        # Russian lines only: the English ones are nearly all spam, and would teach that
        # English is spam.
        lines = [x for x in (root / name).read_text().splitlines() if _CYRILLIC.search(x)]
        for line in rng.sample(lines, min(n, len(lines))):
            out.append((is_spam, wrap_line(line, is_spam)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--tg", type=int, default=150, help="lines of each class")
    args = parser.parse_args()
    records: list[bytes] = []
    for folder, path in sa_files(args.corpora / "spamassassin"):
        raw = path.read_bytes()
        label = "spam" if folder.startswith("spam") else "ham"
        records.append(f"{label} spamassassin/{folder} {len(raw)}\n".encode() + raw)
    for is_spam, raw in tg_messages(args.corpora / "tg_spam_ru" / "data", args.tg):
        label = "spam" if is_spam else "ham"
        records.append(f"{label} tg_spam_ru {len(raw)}\n".encode() + raw)
    STARTER_FILE.write_bytes(lzma.compress(b"".join(records), preset=9))
    print(f"{STARTER_FILE}: {len(records)} messages, {STARTER_FILE.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
