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
    """The corpora folder; the first candidate when none exists (tests then say where)."""
    candidates = [Path(v) for v in [os.environ.get("HELPDESK_CORPORA", "")] if v]
    candidates.append(REPO.parent / "shared" / "corpora")
    origin = _origin()
    if origin is not None:
        candidates.append(origin.resolve().parent / "shared" / "corpora")
    return next((c for c in candidates if c.is_dir()), candidates[0])


CORPORA = corpora_dir()
