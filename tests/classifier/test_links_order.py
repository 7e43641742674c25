"""A message's link tokens come in the same order in every process, whatever the
string-hash seed (the row's floating-point sums, and so its score, follow that order)."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
from classifier.links import url_tokens
urls = [f"https://{name}.{tld}/x" for name in ("shop", "news", "bit", "mail", "login", "cdn",
        "images", "track", "secure", "promo") for tld in ("example", "test", "co.uk", "ru")]
urls += ["https://bit.ly/abc", "https://xn--80ak6aa92e.test/", "http://user@bank.example/"]
print(url_tokens(urls, "news.example"))
"""


def _tokens(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_link_tokens_do_not_follow_the_hash_seed() -> None:
    seen = {_tokens(seed) for seed in ("1", "2", "3", "4")}
    assert len(seen) == 1
    assert "url:shortener" in seen.pop()
