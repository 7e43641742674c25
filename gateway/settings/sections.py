"""The configuration's own sections (`[helpdesk]`, `[smtp]`, `[[imap]]`...) as dataclasses.

The service-desk sections live in gateway.settings.desk and the agents' context in
gateway.settings.agents_context; gateway.settings.model puts them all together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    # SQLite: each connection's page cache, MiB (0: SQLite's own 2 MiB). At a million
    # tickets the indexes a new ticket writes do not fit in 2 MiB, and every page that
    # fell out is read again from the OS (bench/wal_pages.py). Taken as pages are used.
    cache_mib: int = 64


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
    # A commit (an fsync) cost the runner 9 ms at 50 a batch, 6-8% of its time on one core
    # (bench/ingest.py --rounds 0); the intake still waits for at most one message's
    # processing (gateway.daemon.runner), and a batch's bytes are capped
    # (gateway.daemon.claiming.BATCH_BYTES).
    batch_size: int = 200
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
