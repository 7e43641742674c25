"""The loaded config of one `helpdesk` invocation, shared by every command group."""

from __future__ import annotations

import click

from gateway.settings import config as config_mod
from gateway.settings.config import Config


def get_config(ctx: click.Context) -> Config:
    """The loaded config of this invocation (loaded once, on first use)."""
    root = ctx.find_root()
    cfg = root.meta.get("helpdesk.config")
    if cfg is None:
        cfg = config_mod.load(root.meta["helpdesk.config_path"])
        root.meta["helpdesk.config"] = cfg
    assert isinstance(cfg, Config)
    return cfg
