"""Where the shared real-world corpora are: ``../shared/corpora`` beside the checkout.

A clone made elsewhere (``git clone . $(mktemp -d)``, as the README's fresh-clone check
does) finds them beside the checkout it was cloned from; ``HELPDESK_CORPORA`` overrides.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _origin() -> Path | None:
    try:
        url = subprocess.run(
            ["git", "-C", str(REPO), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return None
    path = Path(url) if url and "://" not in url and ":" not in url.split("/")[0] else None
    return path if path is not None and path.is_dir() else None


def corpora_dir() -> Path:
    """The corpora folder; the usual place when none exists (tests then say where)."""
    usual = REPO.parent / "shared" / "corpora"
    override = os.environ.get("HELPDESK_CORPORA")
    if override:
        return Path(override)
    if usual.is_dir():
        return usual
    origin = _origin()  # a clone: asked of git only when the usual place is empty
    beside_origin = origin.resolve().parent / "shared" / "corpora" if origin else None
    return beside_origin if beside_origin is not None and beside_origin.is_dir() else usual


CORPORA = corpora_dir()
