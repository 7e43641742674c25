"""What the handlers need besides the session, built once per process from the config."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.addresses import AddressBook
from gateway.outgoing.render import Renderer, default_templates_dir
from gateway.outgoing.tokens import load_or_create_secret
from gateway.settings.config import Config
from gateway.spam.store import ModelCache


@dataclass
class Services:
    cfg: Config
    addresses: AddressBook
    renderer: Renderer
    secret: bytes
    # This process's copy of the stored spam model (loaded on first use).
    spam: ModelCache = field(default_factory=ModelCache)

    @classmethod
    def from_config(cls, cfg: Config) -> Services:
        override = cfg.path(cfg.helpdesk.templates_dir) if cfg.helpdesk.templates_dir else None
        return cls(
            cfg=cfg,
            addresses=AddressBook(cfg),
            renderer=Renderer(default_templates_dir(), cfg.helpdesk.locale, override_dir=override),
            secret=load_or_create_secret(cfg.path(cfg.helpdesk.secret_file)),
        )

    @property
    def domain(self) -> str:
        return self.cfg.helpdesk.address.rpartition("@")[2]

    def tag(self, ticket_id: int) -> str:
        return f"{self.cfg.helpdesk.tag_prefix}-{ticket_id}"
