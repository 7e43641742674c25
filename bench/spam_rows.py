"""Digests of the spam filter's feature rows over the shared corpora, to compare two checkouts.

A change meant to make extraction faster must not change what the model sees. This
writes, for every message of the corpora, a digest of its row (columns, values to the
bit, token names, gram codes) and of its extracted subject and text (the TF-IDF
baseline's input in bench/spam.py), under two feature contexts: none, and a site that
trusts a server and has internal domains (upstream score headers, from:internal). Run it
on the old code with --write and on the new with --check:

    python bench/spam_rows.py --root OLD_CHECKOUT --write /tmp/rows.json
    python bench/spam_rows.py --check /tmp/rows.json

``--root`` imports ``classifier`` from another checkout (default: this one). String
hashing is seeded the same in every run (PYTHONHASHSEED=0, by re-running itself): a
message's URL hosts are a set, so their tokens' order, and the last bit of a block's norm
summed in that order, otherwise change from one process to the next.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_NOT_MAIL = (".json", ".yml", ".md", ".html", ".py")
_NOT_MAIL_NAMES = ("LICENSE", "COPYING", "NOTICE", "SOURCE.txt", "expected")


def messages(corpora: Path) -> Iterator[tuple[str, bytes]]:
    """Every file of the corpora that may be a message (garbage too: it must not raise),
    and the tg-spam lines wrapped as bench/spam.py --cross wraps them."""
    from classifier.starter import wrap_line

    for path in sorted(corpora.rglob("*")):
        rel = str(path.relative_to(corpora))
        if not path.is_file() or path.suffix in _NOT_MAIL or path.name.startswith(_NOT_MAIL_NAMES):
            continue
        if rel.startswith("tg_spam_ru/"):
            for n, line in enumerate(path.read_text(errors="replace").splitlines()):
                if line.strip():
                    yield f"{rel}#{n}", wrap_line(line, "spam" in path.name)
            continue
        yield rel, path.read_bytes()


def digest(raw: bytes, context: Any) -> str:
    """SHA-256 of everything the model and the baseline see of ``raw``."""
    import numpy as np

    from classifier.features import row_from
    from classifier.message import extract

    trusted = context.trusted_authserv_id if context is not None else ""
    ex = extract(raw, trusted)
    row = row_from(ex, raw, context)
    h = hashlib.sha256()
    h.update(np.asarray(row.columns, np.int64).tobytes())
    h.update(np.asarray(row.values, np.float64).tobytes())
    h.update("\x00".join(row.names).encode("utf-8", "surrogatepass"))
    if row.codes is not None:
        h.update(np.asarray(row.codes, np.uint32).tobytes())
    h.update((ex.subject + "\x00" + ex.text).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:24]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--trusted", default="localhost", help="the site's trusted server")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path)
    group.add_argument("--check", type=Path)
    args = parser.parse_args()
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    sys.path.insert(0, str(args.root.resolve()))
    from classifier.features import FeatureContext

    site = FeatureContext(internal_domains=["example.com", "spamassassin.taint.org"])
    site.trusted_authserv_id = args.trusted
    found: dict[str, str] = {}
    for name, raw in messages(args.corpora):
        found[name] = digest(raw, None)
        found[name + "@site"] = digest(raw, site)
    if args.write:
        args.write.write_text(json.dumps(found, indent=0, sort_keys=True))
        print(f"{len(found)} rows of {len(found) // 2} messages written to {args.write}")
        return
    expected = json.loads(args.check.read_text())
    differ = sorted(k for k in expected.keys() | found.keys() if expected.get(k) != found.get(k))
    print(f"{len(found)} rows of {len(found) // 2} messages; {len(differ)} differ")
    for name in differ[:20]:
        print("  " + name)
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
