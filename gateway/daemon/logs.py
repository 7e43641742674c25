"""Logging for the daemon's processes and the CLI: one format on stderr, noisy libraries quieter."""

from __future__ import annotations

import logging
import sys


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # aiosmtpd logs every SMTP command and APScheduler every job run at INFO; keep
    # their warnings and errors only.
    for noisy in ("mail.log", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.root.level))
