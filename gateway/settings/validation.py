"""Checks across keys of a built `Config` that types alone cannot express; each problem
is one line naming its table and key, and all of them are reported at once."""

from __future__ import annotations

import re

from gateway.settings import cron
from gateway.settings.agents_context import validate_agents_context
from gateway.settings.desk import validate_desk
from gateway.settings.model import Config
from gateway.settings.sections import LOG_LEVELS, ROLES, SpamSection


def validate(cfg: Config) -> list[str]:
    """Checks across keys that types alone cannot express."""
    problems: list[str] = []
    if "@" not in cfg.helpdesk.address:
        problems.append(f"[helpdesk] address: not an email address: {cfg.helpdesk.address!r}")
    if cfg.helpdesk.locale not in ("ru", "en"):
        problems.append(f"[helpdesk] locale: must be 'ru' or 'en', not {cfg.helpdesk.locale!r}")
    if not cfg.helpdesk.tag_prefix.isalnum():
        problems.append("[helpdesk] tag_prefix: letters and digits only")
    if cfg.outgoing.transport not in ("maildir", "smtp"):
        problems.append(
            f"[outgoing] transport: must be 'maildir' or 'smtp', not {cfg.outgoing.transport!r}"
        )
    host, _, port = cfg.smtp.listen.rpartition(":")
    if not host or not port.isdigit():
        problems.append(f"[smtp] listen: expected HOST:PORT, not {cfg.smtp.listen!r}")
    elif not 0 < int(port) < 65536:
        problems.append(f"[smtp] listen: port must be 1 to 65535, not {port}")
    if cfg.metrics.listen:
        m_host, _, m_port = cfg.metrics.listen.rpartition(":")
        if not m_host or not m_port.isdigit() or not 0 < int(m_port) < 65536:
            problems.append(f"[metrics] listen: expected HOST:PORT, not {cfg.metrics.listen!r}")
    if not 0 < cfg.outgoing.port < 65536:
        problems.append(f"[outgoing] port: must be 1 to 65535, not {cfg.outgoing.port}")
    if cfg.logging.level.upper() not in LOG_LEVELS:
        problems.append(
            f"[logging] level: must be one of {', '.join(LOG_LEVELS)}, not {cfg.logging.level!r}"
        )
    if cfg.logging.format not in ("text", "json"):
        problems.append(f"[logging] format: must be 'text' or 'json', not {cfg.logging.format!r}")
    if cfg.security.token_days < 0:
        problems.append("[security] token_days: must not be negative (0: tokens never expire)")
    if not cfg.helpdesk.secret_file:
        problems.append("[helpdesk] secret_file: must name a file")
    if cfg.smtp.max_message_size <= 0:
        problems.append("[smtp] max_message_size: must be positive")
    if not cfg.database.url.startswith(("sqlite:", "postgresql")):
        problems.append(f"[database] url: unsupported database: {cfg.database.url!r}")
    if cfg.database.cache_mib < 0:
        problems.append("[database] cache_mib: must be 0 (SQLite's own) or more")
    seen: dict[str, int] = {}
    for i, agent in enumerate(cfg.agents):
        if "@" not in agent.email:
            problems.append(f"[[agents]] #{i + 1} email: not an email address: {agent.email!r}")
        first = seen.setdefault(agent.email.strip().lower(), i + 1)
        if first != i + 1:
            problems.append(f"[[agents]] #{i + 1} email: {agent.email} is already agent #{first}")
        if agent.role not in ROLES:
            problems.append(f"[[agents]] #{i + 1} role: must be one of {', '.join(ROLES)}")
    for i, box in enumerate(cfg.imap):
        where = f"[[imap]] #{i + 1}"
        if box.auth not in ("password", "xoauth2"):
            problems.append(f"{where} auth: must be 'password' or 'xoauth2'")
        if box.ssl and box.starttls:
            problems.append(f"{where}: ssl and starttls exclude each other")
        if box.auth == "xoauth2" and not (box.oauth_token_file or box.oauth_token_command):
            problems.append(f"{where}: xoauth2 needs oauth_token_file or oauth_token_command")
        if box.poll_seconds <= 0:
            problems.append(f"{where} poll_seconds: must be positive")
        if not 0 < box.port < 65536:
            problems.append(f"{where} port: must be 1 to 65535, not {box.port}")
    if cfg.runner.parse_seconds < 0:
        problems.append("[runner] parse_seconds: must be 0 (no budget) or more")
    problems += _validate_spam(cfg.spam)
    problems += _validate_hostnames(cfg)
    problems += validate_desk(cfg, ROLES)
    problems += validate_agents_context(cfg.faq, cfg.suggestions)
    if cfg.spam.trusted_domains and not cfg.security.trusted_authserv_id:
        problems.append(
            "[spam] trusted_domains: needs [security] trusted_authserv_id (the server whose "
            "Authentication-Results are believed)"
        )
    return problems


_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def _validate_hostnames(cfg: Config) -> list[str]:
    """The banner and EHLO names go into SMTP lines as they are: a host name or nothing."""
    problems = []
    for key, value in (
        ("[smtp] hostname", cfg.smtp.hostname),
        ("[outgoing] ehlo_hostname", cfg.outgoing.ehlo_hostname),
    ):
        if value and not _HOSTNAME.match(value):
            problems.append(f"{key}: not a host name (ASCII, IDNA for others): {value!r}")
    return problems


def _validate_spam(spam: SpamSection) -> list[str]:
    problems = []
    if not 0.0 < spam.threshold <= 1.0:
        problems.append("[spam] threshold: must be above 0 and at most 1")
    if not 0.0 < spam.suspect_threshold <= spam.threshold:
        problems.append("[spam] suspect_threshold: must be above 0 and at most threshold")
    if spam.digest_hours < 0:
        problems.append("[spam] digest_hours: must not be negative")
    if spam.confirm_hours < 0:
        problems.append("[spam] confirm_hours: must not be negative")
    if spam.digest_cron:
        try:
            cron.check(spam.digest_cron)
        except ValueError as exc:
            problems.append(f"[spam] digest_cron: not a cron expression: {exc}")
    return problems
