"""Which addresses of a first mail's To/Cc become the ticket's participants.

Participants get every public answer: a stranger who writes to the desk with 2,000
addresses in Cc would otherwise make the agent's routine answer go to all of them. So
without anyone's confirmation only colleague-looking addresses are taken — the
requester's own domain, or people the desk already knows — and at most `[security]
max_participants` of them; the rest are listed for the agent, whose `#cc` adds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from gateway.settings.config import Config
from gateway.store import user_rows
from gateway.store.model import User

# Known-user lookups go in chunks: one IN list of thousands of addresses is slow to plan.
_CHUNK = 500


@dataclass
class Choice:
    taken: list[tuple[str, str]] = field(default_factory=list)
    # Addresses left for the agent to confirm with #cc, in the mail's order.
    proposed: list[str] = field(default_factory=list)
    # The registered users among `taken`, by lower-case address: the lookup that chose
    # them read their rows, so registering the rest needs no second one
    # (gateway.store.tickets.get_or_create_users).
    known: dict[str, User] = field(default_factory=dict)


def choose(
    session: Session, cfg: Config, requester: str, candidates: list[tuple[str, str]]
) -> Choice:
    """Split (email, name) `candidates` into participants taken and addresses proposed."""
    domain = requester.rpartition("@")[2]
    emails = [email.strip().lower() for email, _ in candidates]
    known: dict[str, tuple[object, ...]] = {}
    for start in range(0, len(emails), _CHUNK):
        known.update(user_rows.rows_by_email(session, emails[start : start + _CHUNK]))
    cap = cfg.security.max_participants
    choice = Choice()
    for (email, name), address in zip(candidates, emails, strict=True):
        colleague = email.rpartition("@")[2] == domain or address in known
        if colleague and len(choice.taken) < cap:
            choice.taken.append((email, name))
            row = known.get(address)
            if row is not None:
                choice.known[address] = user_rows.attach(session, row)
        else:
            choice.proposed.append(email)
    return choice
