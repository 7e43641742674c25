"""`Config`: the whole of `helpdesk.toml`, one dataclass field a table, and its derived
values (paths resolved against the state directory, every intake address, the DB URL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gateway.settings.agents_context import FaqSection, SuggestionsSection
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
)
from gateway.settings.sections import (
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
