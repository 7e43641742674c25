"""The configuration: `helpdesk.toml` read with tomllib into typed, validated dataclasses.

Every key is documented once, in `config/helpdesk.example.toml`; a test checks that file
against these classes. Unknown keys are errors named with their table.

This module reads the file; the sections are in gateway.settings.sections (and desk,
agents_context), `Config` in gateway.settings.model, the checks across keys in
gateway.settings.validation and the table-to-dataclass building in
gateway.settings.building. The names other modules import from here stay importable here.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError
from gateway.settings.building import _build
from gateway.settings.desk import (
    AttachmentsSection,
    CategoryEntry,
    CriticalityEntry,
    GroupEntry,
    NotificationsSection,
    RatingEntry,
    RuleEntry,
    SlaEntry,
    SlaTarget,
    StatusEntry,
    TicketsSection,
)
from gateway.settings.model import Config
from gateway.settings.sections import (
    AGENT_ROLES,
    LOG_LEVELS,
    ROLES,
    AgentEntry,
    BouncesSection,
    DatabaseSection,
    HelpdeskSection,
    ImapSection,
    LoggingSection,
    LoopSection,
    MetricsSection,
    OutgoingSection,
    RunnerSection,
    SecuritySection,
    SmtpSection,
    SpamSection,
)
from gateway.settings.validation import validate

__all__ = [
    "AGENT_ROLES",
    "LOG_LEVELS",
    "ROLES",
    "AgentEntry",
    "AttachmentsSection",
    "BouncesSection",
    "CategoryEntry",
    "Config",
    "CriticalityEntry",
    "DatabaseSection",
    "GroupEntry",
    "HelpdeskSection",
    "ImapSection",
    "LoggingSection",
    "LoopSection",
    "MetricsSection",
    "NotificationsSection",
    "OutgoingSection",
    "RatingEntry",
    "RuleEntry",
    "RunnerSection",
    "SecuritySection",
    "SlaEntry",
    "SlaTarget",
    "SmtpSection",
    "SpamSection",
    "StatusEntry",
    "TicketsSection",
    "default_config_path",
    "from_dict",
    "load",
    "validate",
]


def default_config_path() -> Path:
    return Path(os.environ.get("HELPDESK_CONFIG", "helpdesk.toml"))


def load(path: Path | None = None) -> Config:
    """Read and validate the config file; raise ConfigError listing every problem."""
    path = path or default_config_path()
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError([f"config file not found: {path}"]) from None
    except IsADirectoryError:
        raise ConfigError([f"config file is a directory: {path}"]) from None
    except PermissionError:
        raise ConfigError([f"config file not readable (permission denied): {path}"]) from None
    except OSError as exc:
        raise ConfigError([f"config file not readable: {path}: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text: {exc.reason} at byte {exc.start}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    cfg = from_dict(data)
    here = path.resolve().parent
    state = Path(cfg.helpdesk.state_dir).expanduser() if cfg.helpdesk.state_dir else None
    cfg.base_dir = here / state if state is not None else here
    cfg.source = path.resolve()
    return cfg


def from_dict(data: dict[str, Any]) -> Config:
    problems: list[str] = []
    cfg: Config = _build(Config, data, "", problems)
    problems += validate(cfg)
    if problems:
        raise ConfigError(problems)
    return cfg
