"""The pipeline's context: what the stages know about one message so far, filled in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy import inspect as inspect_mapped
from sqlalchemy.orm import Session

from gateway.store import direct
from gateway.store.model import Inbound, Message, Ticket, User
from gateway.store.precompiled import Precompiled

if TYPE_CHECKING:
    from gateway.bounces import Report as BounceReport
    from gateway.commands.report import Report
    from gateway.outgoing.tokens import Token
    from gateway.parse import ParsedAttachment, ParsedMessage
    from gateway.services import Services


# A user's row by a precompiled statement, made the session's object (gateway.store.direct):
# the ORM's query costs several times more, for a sender who is often not registered.
_USER_ATTRIBUTES = [p.key for p in inspect_mapped(User).column_attrs]
_USER = Precompiled(
    select(*(getattr(User, key) for key in _USER_ATTRIBUTES)).where(
        User.email == bindparam("email")
    )
)


@dataclass
class OnBehalf:
    """An agent opening a ticket for a caller (`#for EMAIL`): who, and how they called."""

    agent: User
    email: str
    name: str = ""
    source: str = "phone"


@dataclass
class Context:
    """What the handlers know about the message so far; handlers fill it in order."""

    session: Session
    services: Services
    inbound: Inbound
    parsed: ParsedMessage | None = None
    # The bounce report in the raw bytes, when the runner read it before the transaction
    # (`bounce_read`); else the bounce stage reads it. Reading is a second parse of the
    # whole message: done under the write lock, a 10 MB one held up every SMTP commit.
    bounce: BounceReport | None = None
    bounce_read: bool = False
    # Why the mail counts as automatic (auto-reply, bounce, list mail); None for a person's.
    automatic: str | None = None
    sender: User | None = None
    ticket: Ticket | None = None
    new_ticket: bool = False
    # How the ticket was found: "token", "reference", "tag", "bounce", or "" for a new one.
    threaded_by: str = ""
    # The signed token of the recipient address the mail came through, if any.
    token: Token | None = None
    message: Message | None = None
    # Set by the agent-commands stage: the mail's text is a hidden note for agents only;
    # the mail held only commands and adds no message; nobody is to be told (#spam).
    hidden_note: bool = False
    store_message: bool = True
    quiet: bool = False
    # The message text when commands changed it (command lines removed, canned text added).
    body: str | None = None
    # Why an agent's mail did not authenticate (it is then kept as a hidden note only).
    unauthenticated: str | None = None
    # The commands' outcome for the receipt, and why they were refused as a whole.
    report: Report | None = None
    report_refusal: str | None = None
    # The commands closed the ticket: the requester gets the closing mail with ratings.
    closing: bool = False
    # Addresses of a new ticket's To/Cc not taken as participants: listed for the agent.
    proposed_cc: list[str] = field(default_factory=list)
    # Set by `#for`: the ticket opens for this caller, the agent its first responder.
    on_behalf: OnBehalf | None = None
    # The attachments stored with the message (what notices and answers carry on).
    attachments: list[ParsedAttachment] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    # The spooled message's Message-ID and dedupe key (parse and dedupe stages): the
    # runner writes them with its final state, in one UPDATE; set on the row right away,
    # the first flush of a later stage would write the row once more.
    inbound_message_id: str | None = None
    dedupe_key: str | None = None
    # Users looked up by address (None: not registered) before the store stage registers
    # anyone; the access, thread and store stages ask for the same sender.
    _users: dict[str, User | None] = field(default_factory=dict)

    def user(self, email: str) -> User | None:
        """The registered user with `email` (as given), looked up once per message.

        Only for the stages up to the store stage's sender: nothing registers users
        before it (access does for a denied sender, and stops the message).
        """
        if email not in self._users:
            # The runner's stages do not autoflush: a plain read sees what the ORM's
            # query did (users are inserted at once: gateway.store.direct).
            found = _USER.rows(self.session.connection(), {"email": email})
            self._users[email] = (
                direct.attach(
                    self.session, User, dict(zip(_USER_ATTRIBUTES, found[0], strict=True))
                )
                if found
                else None
            )
        return self._users[email]

    def note(self, line: str) -> None:
        """Record a decision in the message's trace (shown by `quarantine list` and logs)."""
        self.trace.append(line)

    @property
    def mail(self) -> ParsedMessage:
        assert self.parsed is not None, "parse stage has not run"
        return self.parsed
