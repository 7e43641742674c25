"""Checks of a loaded config that need the file system: templates, writable paths."""

from __future__ import annotations

import os

from gateway.config import Config
from gateway.render import default_templates_dir

REQUIRED_TEMPLATES = ("confirmation", "agent_new_ticket", "agent_requester_reply", "answer")
PARTS = ("subject", "txt", "html")


def deep_checks(cfg: Config) -> list[str]:
    problems: list[str] = []
    templates = (
        cfg.path(cfg.helpdesk.templates_dir)
        if cfg.helpdesk.templates_dir
        else default_templates_dir()
    )
    if not templates.is_dir():
        problems.append(f"[helpdesk] templates_dir: not a directory: {templates}")
    else:
        for event in REQUIRED_TEMPLATES:
            for part in PARTS:
                path = templates / cfg.helpdesk.locale / f"{event}.{part}.j2"
                if not path.is_file():
                    problems.append(f"[helpdesk] templates_dir: missing template {path}")
    if cfg.outgoing.transport == "maildir":
        parent = cfg.path(cfg.outgoing.maildir)
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not os.access(parent, os.W_OK):
            problems.append(f"[outgoing] maildir: not writable: {cfg.path(cfg.outgoing.maildir)}")
    return problems
