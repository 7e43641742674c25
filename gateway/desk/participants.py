"""Which addresses of a first mail's To/Cc become the ticket's participants.

Participants get every public answer: a stranger who writes to the desk with 2,000
addresses in Cc would otherwise make the agent's routine answer go to all of them. So
without anyone's confirmation only colleague-looking addresses are taken — the
requester's own domain, or people the desk already knows — and at most `[security]
max_participants` of them; the rest are listed for the agent, whose `#cc` adds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gateway.settings.config import Config
from gateway.store.model import User
from gateway.store.precompiled import Precompiled

# Known-user lookups go in chunks: one IN list of thousands of addresses is slow to plan.
_CHUNK = 500
# Built once, a precompiled query on the session's connection (one form per length of
# the list: gateway.store.precompiled).
_KNOWN = Precompiled(select(User.email).where(User.email.in_(bindparam("emails", expanding=True))))


@dataclass
class Choice:
    taken: list[tuple[str, str]] = field(default_factory=list)
    # Addresses left for the agent to confirm with #cc, in the mail's order.
    proposed: list[str] = field(default_factory=list)


def choose(
    session: Session, cfg: Config, requester: str, candidates: list[tuple[str, str]]
) -> Choice:
    """Split (email, name) `candidates` into participants taken and addresses proposed."""
    domain = requester.rpartition("@")[2]
    emails = [email for email, _ in candidates]
    known: set[str] = set()
    for start in range(0, len(emails), _CHUNK):
        chunk = emails[start : start + _CHUNK]
        known.update(email for (email,) in _KNOWN.rows(session.connection(), {"emails": chunk}))
    cap = cfg.security.max_participants
    choice = Choice()
    for email, name in candidates:
        colleague = email.rpartition("@")[2] == domain or email in known
        if colleague and len(choice.taken) < cap:
            choice.taken.append((email, name))
        else:
            choice.proposed.append(email)
    return choice
