"""Logging for the daemon's processes and the CLI: stderr or a file, text or JSON lines,
optionally syslog too; noisy libraries quieter; reopened on SIGHUP (after logrotate).

`configure` may be called again (SIGHUP): it replaces the handlers it installed, so a
rotated log file is reopened under its name and a changed level or format takes effect.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import os
import sys
from pathlib import Path

from gateway.settings.config import Config

# Fields of a record that are its own, not extras passed with `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Our handlers, marked so that a reconfiguration replaces exactly them.
_MARK = "_helpdesk_handler"


class JsonLines(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(
    level: str,
    file: Path | None = None,
    fmt: str = "text",
    syslog: str = "",
) -> None:
    """Send the log to `file` (else stderr) as `fmt` ("text" or "json"), and to syslog
    (a socket path such as /dev/log, or HOST:PORT for UDP) when `syslog` is set."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = []
    if file is not None:
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(file, encoding="utf-8"))
    else:
        handlers.append(logging.StreamHandler(sys.stderr))
    formatter: logging.Formatter = JsonLines() if fmt == "json" else logging.Formatter(_TEXT)
    for handler in handlers:
        handler.setFormatter(formatter)
    if syslog:
        handlers.append(_syslog(syslog))
    for handler in handlers:
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    # aiosmtpd logs every SMTP command, APScheduler every job run and Alembic every step
    # at INFO; keep their warnings and errors only.
    for noisy in ("mail.log", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def _syslog(target: str) -> logging.Handler:
    address: str | tuple[str, int]
    host, _, port = target.rpartition(":")
    address = (host, int(port)) if host and port.isdigit() else target
    handler = logging.handlers.SysLogHandler(
        address=address, facility=logging.handlers.SysLogHandler.LOG_MAIL
    )
    handler.ident = f"helpdesk[{os.getpid()}]: "
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    return handler


def configure_from(cfg: Config) -> None:
    """The daemon's logging as `[logging]` describes it."""
    log_file = cfg.path(cfg.logging.file) if cfg.logging.file else None
    configure(cfg.logging.level, log_file, cfg.logging.format, cfg.logging.syslog)


def setup_logging(level: str) -> None:
    """Text on stderr at `level` (the CLI's commands)."""
    configure(level)
