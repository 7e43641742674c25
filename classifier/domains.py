"""Registrable domains of host names, from the Public Suffix List bundled with tldextract.

The snapshot shipped inside the tldextract package is used and nothing is fetched: a mail
filter must not reach out to the network, and must score the same way tomorrow.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

_EXTRACT: Any = None


def _extractor() -> Any:
    global _EXTRACT
    if _EXTRACT is None:
        import tldextract

        # No suffix_list_urls and no cache_dir: the bundled snapshot, no network, no disk.
        _EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return _EXTRACT


@lru_cache(maxsize=65_536)
def registrable(host: str) -> str:
    """``www.example.co.uk`` -> ``example.co.uk``; a bare or unknown suffix -> the host.

    Lower-cased; IDN labels stay Unicode (``почта.рф``).
    """
    host = host.strip(".").lower()
    if not host:
        return ""
    parts = _extractor()(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    labels = host.split(".")
    return ".".join(labels[-2:])  # .test, .example, .local: no public suffix, keep two labels


@lru_cache(maxsize=65_536)
def suffix(host: str) -> str:
    """The public suffix of ``host`` (``co.uk``), or its last label when none is known."""
    parts = _extractor()(host.strip(".").lower())
    return str(parts.suffix or host.rpartition(".")[2])
