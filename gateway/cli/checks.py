"""Checks of a loaded config that need the system: templates, secret, database, paths.

`check-config` prints them; `run` refuses to start while any is found, so the daemon
never accepts mail it could not process (a 250 followed by quarantine for everyone).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from gateway.errors import HelpdeskError
from gateway.intake.pipe import safe_reason
from gateway.outgoing.render import default_templates_dir
from gateway.outgoing.tokens import load_or_create_secret
from gateway.settings.config import AGENT_ROLES, Config
from gateway.store.db import Database, schema_state

MIN_SECRET_BYTES = 16

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
    "not_sent",
)
PARTS = ("subject", "txt", "html")


def deep_checks(cfg: Config, database: bool = True) -> list[str]:
    """Every problem found; `database`: also connect to the database and look at its schema."""
    problems = _template_checks(cfg)
    # Two looks at the secret: whether it can be loaded or made, and whether what is there
    # is a usable key; one report of it is enough.
    secret = _secret_checks(cfg)
    problems += secret or secret_file_problems(cfg)
    if database:
        problems += database_checks(cfg)
    problems += _assignee_checks(cfg)
    problems += _faq_checks(cfg)
    if cfg.outgoing.transport == "maildir":
        parent = cfg.path(cfg.outgoing.maildir)
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not os.access(parent, os.W_OK):
            problems.append(f"[outgoing] maildir: not writable: {cfg.path(cfg.outgoing.maildir)}")
    return problems


def startup_checks(cfg: Config) -> list[str]:
    """What `run` needs before it may accept mail: templates, the secret, the database."""
    return _template_checks(cfg) + _secret_checks(cfg) + database_checks(cfg)


def _template_checks(cfg: Config) -> list[str]:
    roots = [default_templates_dir()]
    if cfg.helpdesk.templates_dir:
        override = cfg.path(cfg.helpdesk.templates_dir)
        if not override.is_dir():
            return [f"[helpdesk] templates_dir: not a directory: {override}"]
        roots.insert(0, override)
    problems = []
    for event in REQUIRED_TEMPLATES:
        for part in PARTS:
            name = f"{event}.{part}.j2"
            if not any((root / cfg.helpdesk.locale / name).is_file() for root in roots):
                where = " or ".join(str(root / cfg.helpdesk.locale) for root in roots)
                problems.append(f"[helpdesk] templates_dir: missing template {name} in {where}")
    return problems


def _secret_checks(cfg: Config) -> list[str]:
    """The reply-token key can be read, or created (mode 0600) where it is configured."""
    path = cfg.path(cfg.helpdesk.secret_file)
    try:
        load_or_create_secret(path)
    except HelpdeskError as exc:
        return [str(exc)]
    except OSError as exc:
        return [f"[helpdesk] secret_file: cannot read or create {path}: {exc.strerror}"]
    return []


def database_checks(cfg: Config) -> list[str]:
    """The database answers, and its schema is empty (to be created) or current."""
    url = cfg.database_url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        try:
            present = path.exists()
        except OSError as exc:  # a folder on the way this user may not enter
            return [f"[database] url: cannot use {path}: {exc.strerror}"]
        if not present:
            # Not created by a check: the daemon makes it, in a folder that must allow it.
            parent = path.parent
            while not parent.exists() and parent != parent.parent:
                parent = parent.parent
            if not os.access(parent, os.W_OK):
                return [f"[database] url: cannot create {path}: {parent} is not writable"]
            return []
    try:
        db = Database.from_config(cfg)
        try:
            state = schema_state(db)
        finally:
            db.dispose()
    except (SQLAlchemyError, OSError) as exc:
        return [f"[database] url: cannot use the database: {safe_reason(exc)}"]
    if state == "outdated":
        return ["[database] url: the schema is outdated: run `helpdesk db upgrade`"]
    return []


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


def secret_file_problems(cfg: Config) -> list[str]:
    """A secret file that exists must be a readable file of at least 16 bytes.

    A missing one is created on first run; anything else would make every reply token
    fail to sign while intake still answers 250.
    """
    path = cfg.path(cfg.helpdesk.secret_file)
    key = "[helpdesk] secret_file"
    if not path.exists():
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not os.access(parent, os.W_OK):
            return [f"{key}: {path} does not exist and cannot be created"]
        return []
    if not path.is_file():
        return [f"{key}: {path} is not a regular file"]
    try:
        size = len(path.read_bytes())
    except OSError as exc:
        return [f"{key}: {path} cannot be read ({exc.strerror})"]
    if size < MIN_SECRET_BYTES:
        return [f"{key}: {path} holds {size} bytes, fewer than {MIN_SECRET_BYTES}"]
    return []


def warnings(cfg: Config) -> list[str]:
    """What is allowed but weakens a promise (printed, not failed)."""
    found: list[str] = []
    if not cfg.security.trusted_authserv_id:
        found.append(
            "[security] trusted_authserv_id is not set: an agent's commands are "
            "authenticated by reply address or Message-ID only, and the From header is "
            "the weak link (set it to the authserv-id of your receiving server to also "
            "require DKIM or SPF pass)"
        )
    return found


def _faq_checks(cfg: Config) -> list[str]:
    """FAQ files that cannot be read are left out of every search: say which."""
    from gateway.faq.articles import load

    folder = cfg.path(cfg.faq.folder)
    if not folder.exists():
        return []  # no FAQ yet: nothing is suggested, nothing is wrong
    if not folder.is_dir():
        return [f"[faq] folder: not a directory: {folder}"]
    return [f"[faq] folder: {problem}" for problem in load(folder).problems]
