"""The configuration: `helpdesk.toml` read with tomllib into typed, validated dataclasses.

Every key is documented once, in `config/helpdesk.example.toml`; a test checks that file
against these classes. Unknown keys are errors named with their table.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError
from gateway.settings.agents_context import (
    FaqSection,
    SuggestionsSection,
    validate_agents_context,
)
from gateway.settings.desk import (
    AttachmentsSection,
    CategoryEntry,
    CriticalityEntry,
    EscalationSection,
    GroupEntry,
    NotificationsSection,
    RatingEntry,
    ReportsSection,
    RuleEntry,
    SlaEntry,
    StatusEntry,
    TicketsSection,
    validate_desk,
)

ROLES = ("denied", "client", "agent", "demo", "admin")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
AGENT_ROLES = ("agent", "admin")


@dataclass
class HelpdeskSection:
    name: str = "IT Support"
    address: str = "support@example.com"
    tag_prefix: str = "HD"
    locale: str = "ru"
    secret_file: str = "var/secret.key"
    # Further intake addresses besides `address` (aliases such as it@, printers@).
    intake_addresses: list[str] = field(default_factory=list)
    # Directory of Jinja templates; empty means the `templates/` shipped with the product.
    templates_dir: str = ""
    # Other addresses this helpdesk sends as; mail from them is ignored, never answered.
    own_addresses: list[str] = field(default_factory=list)
    # The folder relative paths (database, secret, outbox, templates) are resolved against;
    # empty: the config file's own folder. The systemd layout sets /var/lib/helpdesk, so
    # the daemon, `deliver` run by the MTA and the admin's commands all find one database.
    state_dir: str = ""


@dataclass
class DatabaseSection:
    url: str = "sqlite:///var/helpdesk.db"
    # How long a writer waits for a lock held by another process before giving up.
    busy_timeout_seconds: float = 30.0


@dataclass
class SmtpSection:
    enabled: bool = True
    listen: str = "127.0.0.1:2525"
    max_message_size: int = 26214400
    # Real mail has lines longer than RFC 5321's 1000; refusing them loses mail.
    line_length_limit: int = 1_000_000
    # Idle client connections are dropped after this many seconds.
    timeout_seconds: int = 300
    # The name in the 220 banner and the EHLO reply; "" is this host's FQDN.
    hostname: str = ""
    # Open connections at most; more get 421 (0: a quarter of the descriptor limit,
    # at most 1,000).
    max_connections: int = 0


@dataclass
class OutgoingSection:
    transport: str = "maildir"
    maildir: str = "var/outbox"
    host: str = "127.0.0.1"
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    username: str = ""
    password: str = ""
    timeout_seconds: int = 60
    # The name the smtp transport gives in EHLO; "" is this host's FQDN. A relay that
    # checks HELO names wants the host's public name, not "localhost.localdomain".
    ehlo_hostname: str = ""
    # 4xx replies and connection failures are retried with exponential backoff for this long.
    retry_hours: float = 48.0
    # First retry delay; each later one doubles, capped at `retry_max_seconds`.
    retry_initial_seconds: int = 60
    retry_max_seconds: int = 3600
    # Domains never mailed: each such mail is kept as an outbox row in state `suppressed`.
    # The default is the placeholder the store files unreadable senders under.
    suppress_domains: list[str] = field(default_factory=lambda: ["invalid"])


@dataclass
class ImapSection:
    host: str = "127.0.0.1"
    port: int = 143
    ssl: bool = False
    starttls: bool = False
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    idle: bool = True
    poll_seconds: int = 60
    category: str = ""
    # A name for logs and `imap status`; defaults to username@host/folder.
    name: str = ""
    # The intake address mail from this mailbox counts as addressed to (routing).
    address: str = ""
    # "password" or "xoauth2".
    auth: str = "password"
    oauth_token_file: str = ""
    oauth_token_command: str = ""
    # Messages fetched per FETCH round trip.
    batch_size: int = 50
    # TLS: a CA bundle for a server with a private CA; verification off only on request.
    ca_file: str = ""
    tls_verify: bool = True


@dataclass
class AgentEntry:
    email: str = ""
    name: str = ""
    role: str = "agent"
    group: str = ""


@dataclass
class LoopSection:
    # At most this many automatic mails a day to one non-agent address.
    max_auto_replies_per_day: int = 20
    # At most this many mails about one ticket an hour; further ones are held in the
    # outbox until an agent releases them (gateway.outgoing.relay); 0: no limit.
    max_relayed_per_ticket_hour: int = 10
    # A sender's mail on a ticket that repeats one of their last ones (near-identical
    # text) within this many minutes counts as automatic (a naive auto-responder).
    repeat_minutes: int = 30


@dataclass
class BouncesSection:
    # Soft bounces (a full mailbox, a deferral that expired) in a row to one address before
    # automatic mail to it is suspended; a hard bounce suspends at once.
    soft_limit: int = 3


@dataclass
class SecuritySection:
    # The authserv-id of the receiving server whose Authentication-Results header is
    # trusted; when set, an agent's commands also need DKIM or SPF pass for the From domain.
    trusted_authserv_id: str = ""
    # Reply tokens older than this many days are refused; 0 means they never expire.
    token_days: int = 0
    # At most this many participants are taken from a first mail's To/Cc, and only
    # colleague-looking ones (the requester's domain, known users); the rest are listed
    # for the agent (gateway.desk.participants).
    max_participants: int = 10


@dataclass
class SpamSection:
    enabled: bool = True
    # Mail scoring at or above this spam probability is held in quarantine (bench/spam.py:
    # at 0.85 about 0.3% of ham is held and 98% of spam); between suspect_threshold and
    # it, the ticket and the agents' notice are only marked as suspect.
    threshold: float = 0.85
    suspect_threshold: float = 0.6
    # Internal domains: their mail that passed SPF or DKIM is never held.
    trusted_domains: list[str] = field(default_factory=list)
    # The receiving server (its authserv-id, the host name its Received header gives after
    # "by") whose SpamAssassin/rspamd score headers the filter reads as features; empty:
    # [security] trusted_authserv_id; none: such headers are ignored (anyone can write them).
    trusted_authserv_id: str = ""
    # The quarantine digest to agents: a cron expression (UTC), else every digest_hours;
    # both empty/0 sends none.
    digest_cron: str = ""
    digest_hours: float = 24.0
    # Learn a ticket's first message as ham when an agent answers it (confirmed ham).
    learn_from_answers: bool = True
    # Held mail that nobody released within this many hours is learned as spam (the
    # digest has listed it); 0: never.
    confirm_hours: float = 48.0


@dataclass
class RunnerSection:
    # Messages processed per database transaction (group commit); each has its own savepoint.
    batch_size: int = 50
    # Seconds between looks at the spool when nothing woke the runner.
    poll_seconds: float = 1.0
    # Seconds of HTML parsing and sanitising per message; past them the rest is taken as
    # text and the message flagged (gateway.guard.budget). 0: no budget.
    parse_seconds: float = 5.0


@dataclass
class LoggingSection:
    level: str = "INFO"
    # A log file (reopened on SIGHUP, for logrotate); empty: standard error (journald).
    file: str = ""
    # "text" or "json" (one JSON object a line).
    format: str = "text"
    # Also to syslog (facility mail): a socket path such as "/dev/log", or HOST:PORT (UDP).
    syslog: str = ""


@dataclass
class MetricsSection:
    # HOST:PORT of the Prometheus endpoint (/metrics); empty: none.
    listen: str = ""


@dataclass
class Config:
    helpdesk: HelpdeskSection = field(default_factory=HelpdeskSection)
    database: DatabaseSection = field(default_factory=DatabaseSection)
    smtp: SmtpSection = field(default_factory=SmtpSection)
    outgoing: OutgoingSection = field(default_factory=OutgoingSection)
    imap: list[ImapSection] = field(default_factory=list)
    agents: list[AgentEntry] = field(default_factory=list)
    loop: LoopSection = field(default_factory=LoopSection)
    bounces: BouncesSection = field(default_factory=BouncesSection)
    security: SecuritySection = field(default_factory=SecuritySection)
    runner: RunnerSection = field(default_factory=RunnerSection)
    spam: SpamSection = field(default_factory=SpamSection)
    logging: LoggingSection = field(default_factory=LoggingSection)
    metrics: MetricsSection = field(default_factory=MetricsSection)
    # The service-desk rules (gateway.settings.desk, gateway.desk).
    tickets: TicketsSection = field(default_factory=TicketsSection)
    statuses: list[StatusEntry] = field(default_factory=list)
    criticality: list[CriticalityEntry] = field(default_factory=list)
    categories: list[CategoryEntry] = field(default_factory=list)
    groups: list[GroupEntry] = field(default_factory=list)
    sla: list[SlaEntry] = field(default_factory=list)
    rules: list[RuleEntry] = field(default_factory=list)
    notifications: NotificationsSection = field(default_factory=NotificationsSection)
    attachments: AttachmentsSection = field(default_factory=AttachmentsSection)
    ratings: list[RatingEntry] = field(default_factory=list)
    escalation: EscalationSection = field(default_factory=EscalationSection)
    reports: ReportsSection = field(default_factory=ReportsSection)
    faq: FaqSection = field(default_factory=FaqSection)
    suggestions: SuggestionsSection = field(default_factory=SuggestionsSection)
    # The directory relative paths are resolved against: [helpdesk] state_dir, else the
    # config file's.
    base_dir: Path = field(default=Path("."), metadata={"internal": True})
    # The file this config was read from (SIGHUP reads it again); None when built in code.
    source: Path | None = field(default=None, metadata={"internal": True})

    def path(self, value: str) -> Path:
        """Resolve a configured path relative to the state directory (see `base_dir`)."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def intake_addresses(self) -> list[str]:
        """Every address mail is accepted for: the desk's own, `intake_addresses`, and each
        address the config routes by ([[imap]] `address`, categories', rules')."""
        addrs = [self.helpdesk.address, *self.helpdesk.intake_addresses]
        addrs += [m.address for m in self.imap if m.address]
        addrs += [a for c in self.categories for a in c.addresses]
        addrs += [a for r in self.rules for a in r.addresses]
        seen: list[str] = []
        for a in addrs:
            if a.lower() not in seen:
                seen.append(a.lower())
        return seen

    @property
    def database_url(self) -> str:
        """The database URL with a relative SQLite path made relative to the config file."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.path(url[len(prefix) :]))
        return url


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
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(spam.digest_cron)
        except ValueError as exc:
            problems.append(f"[spam] digest_cron: not a cron expression: {exc}")
    return problems


def _build(cls: type[Any], data: Any, where: str, problems: list[str]) -> Any:
    """Make dataclass `cls` from a TOML table, checking keys and types."""
    label = where or "top level"
    if not isinstance(data, dict):
        problems.append(f"{label}: expected a table")
        return cls()
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            problems.append(f"{label}: unknown key {key!r}")
            continue
        before = len(problems)
        coerced = _coerce(hints[key], value, _sub(where, key), problems)
        # A value of the wrong type is reported and replaced by the default, so that the
        # checks across keys still run and every problem is reported at once.
        nested = dataclasses.is_dataclass(hints[key]) or typing.get_origin(hints[key]) is list
        if nested or len(problems) == before:
            kwargs[key] = coerced
    return cls(**kwargs)


def _sub(where: str, key: str) -> str:
    return f"[{key}]" if not where else f"{where} {key}"


def _coerce(hint: Any, value: Any, where: str, problems: list[str]) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(typing.cast(type[Any], hint), value, where, problems)
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            problems.append(f"{where}: expected a list")
            return []
        if dataclasses.is_dataclass(item):
            label = f"[[{where.strip('[]')}]]"
            return [
                _build(typing.cast(type[Any], item), v, f"{label} #{i + 1}", problems)
                for i, v in enumerate(value)
            ]
        return [_coerce(item, v, where, problems) for v in value]
    if origin is types.UnionType or origin is typing.Union:
        return value
    expected: tuple[type[Any], ...]
    if hint is float:
        expected = (int, float)
    elif hint is int:
        expected = (int,)
    else:
        expected = (hint,)
    if isinstance(value, bool) and hint is not bool:
        problems.append(f"{where}: expected {hint.__name__}, got a boolean")
        return value
    if not isinstance(value, expected):
        problems.append(f"{where}: expected {hint.__name__}, got {type(value).__name__}")
    return value
