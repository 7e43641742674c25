"""Users from the config: `[[agents]]` entries are kept in step with the users table."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.settings.config import Config
from gateway.store.tickets import get_or_create_user


def sync_agents(session: Session, cfg: Config) -> None:
    """Create or update every `[[agents]]` user; the config wins over earlier roles."""
    for entry in cfg.agents:
        user = get_or_create_user(session, entry.email, entry.name, role=entry.role)
        user.role = entry.role
        if entry.name:
            user.name = entry.name
        if entry.group:
            user.group = entry.group
