"""The learning spam filter in the product: the stored model, learning, rules, the digest.

The API the agent-command stage and the CLI call:

- ``learn(session, services, inbound, is_spam, actor)``: learn a raw message now;
- ``release(session, services, inbound, actor)``: a held message is learned as ham and
  queued again, to become a ticket;
- ``mark_spam(session, services, ticket, actor)``: ``#spam`` on a ticket learns its first
  message as spam (the caller changes the status); ``learn_ticket`` does it either way.

Each stores the new model version in the caller's transaction.
"""

from __future__ import annotations

from gateway.spam.errors import ModelUnavailable, NotHeld, NothingToLearn
from gateway.spam.learning import learn, learn_ticket, mark_spam, release, released_by
from gateway.spam.store import ModelCache

__all__ = [
    "ModelCache",
    "ModelUnavailable",
    "NotHeld",
    "NothingToLearn",
    "learn",
    "learn_ticket",
    "mark_spam",
    "release",
    "released_by",
]
