"""SIGHUP: the config file read again and the parts that can change live applied.

Live: all of `[logging]` (the log file is reopened, for logrotate). The templates are
reloaded by the processing process itself (its renderer drops what it compiled). Every
other key needs a restart; a config that no longer loads is logged and the running
one kept.
"""

from __future__ import annotations

import logging

from gateway.daemon.logs import configure_from
from gateway.errors import ConfigError
from gateway.settings import config as config_mod
from gateway.settings.config import Config

log = logging.getLogger(__name__)


def reload_config(cfg: Config) -> Config:
    """The config read again and its live parts applied to `cfg`; kept as is on error."""
    if cfg.source is None:
        return cfg
    try:
        fresh = config_mod.load(cfg.source)
    except ConfigError as exc:
        log.error("SIGHUP: config not reloaded, the running one is kept: %s", exc)
        return cfg
    cfg.logging = fresh.logging
    configure_from(cfg)
    log.info("SIGHUP: logs reopened, [logging] and templates reloaded")
    return cfg
