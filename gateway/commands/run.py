"""One mail's commands being applied (`Run`), and how an action refuses (`CommandFailed`).

Apart from `actions` so that helpers the actions call (canned answers) can name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gateway.errors import HelpdeskError
from gateway.pipeline.context import Context
from gateway.store.model import Ticket, User

if TYPE_CHECKING:
    from gateway.services import Services


class CommandFailed(HelpdeskError):
    def __init__(self, reason: str, fix: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


@dataclass
class Run:
    """One mail's commands being applied."""

    ctx: Context
    ticket: Ticket
    actor: User
    # Text the commands add to the message (#close text, #canned answers).
    extra_text: list[str] = field(default_factory=list)
    closed: bool = False

    @property
    def services(self) -> Services:
        return self.ctx.services
