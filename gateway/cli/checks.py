"""Checks of a loaded config that need the file system: templates, writable paths."""

from __future__ import annotations

import os

from gateway.outgoing.render import default_templates_dir
from gateway.settings.config import AGENT_ROLES, Config

REQUIRED_TEMPLATES = (
    "confirmation",
    "agent_new_ticket",
    "agent_requester_reply",
    "answer",
    # The service-desk notifications (gateway.desk.notices).
    "assigned",
    "reassigned",
    "reopened",
    "attachment_refused",
    "denied",
)
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
    problems += _assignee_checks(cfg)
    problems += _faq_checks(cfg)
    if cfg.outgoing.transport == "maildir":
        parent = cfg.path(cfg.outgoing.maildir)
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not os.access(parent, os.W_OK):
            problems.append(f"[outgoing] maildir: not writable: {cfg.path(cfg.outgoing.maildir)}")
    return problems


def _assignee_checks(cfg: Config) -> list[str]:
    """Every configured assignee should be an agent: one of [[agents]] or of an agent group.

    (Agents added with `helpdesk users add` are not known here; name them in the config.)
    """
    agents = {a.email.lower() for a in cfg.agents if a.role in AGENT_ROLES}
    patterns = [m.lower() for g in cfg.groups if g.role in AGENT_ROLES for m in g.members]

    def known(email: str) -> bool:
        email = email.lower()
        return email in agents or any(
            email.endswith(p) if p.startswith("@") else email == p for p in patterns
        )

    named = [("[tickets] default_assignee", cfg.tickets.default_assignee)]
    named += [
        (f"[[categories]] #{i + 1} assignee", c.assignee) for i, c in enumerate(cfg.categories)
    ]
    named += [(f"[[sla]] #{i + 1} assignee", s.assignee) for i, s in enumerate(cfg.sla)]
    named += [(f"[[rules]] #{i + 1} assignee", r.assignee) for i, r in enumerate(cfg.rules)]
    return [
        f"{where}: {email} is not an agent ([[agents]] or a group with an agent role)"
        for where, email in named
        if email and not known(email)
    ]


def _faq_checks(cfg: Config) -> list[str]:
    """FAQ files that cannot be read are left out of every search: say which."""
    from gateway.faq.articles import load

    folder = cfg.path(cfg.faq.folder)
    if not folder.exists():
        return []  # no FAQ yet: nothing is suggested, nothing is wrong
    if not folder.is_dir():
        return [f"[faq] folder: not a directory: {folder}"]
    return [f"[faq] folder: {problem}" for problem in load(folder).problems]
