"""Exceptions of the spam filter's place in the product, named by condition."""

from __future__ import annotations

from gateway.errors import HelpdeskError


class ModelUnavailable(HelpdeskError):
    """The stored spam model cannot be loaded, so it can neither score nor learn.

    Learning on a fresh model instead would silently throw away everything learned.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(f"the stored spam model cannot be used: {detail}")
        self.detail = detail


class NotHeld(HelpdeskError):
    """A release names a message that is not held as spam."""

    def __init__(self, inbound_id: int, state: str) -> None:
        super().__init__(f"message #{inbound_id} is not held as spam (state {state})")
        self.inbound_id = inbound_id
        self.state = state


class NothingToLearn(HelpdeskError):
    """A ticket has no received mail to learn from (it was made by an agent)."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__(f"ticket {ticket_id} has no received mail to learn from")
        self.ticket_id = ticket_id
