"""Whose copy a mail answers: a reply speaks for the person the answered copy was sent to.

Every recipient of the desk's mail gets a copy of their own, with a reply address signed
for them and a Message-ID of its own (gateway.outgoing.copies). A mail that came through
someone else's reply address, or that replies (In-Reply-To) to a copy sent to someone
else, was forwarded or harvested: whoever wrote it has no authority of the copy's
recipient, and it is not that person's word either. Such mail is kept on the ticket as a
hidden note marked unauthenticated; the agents hear of it unless the copy was an agent's
own (that one the agent is told about by the receipt, see gateway.commands.auth).
"""

from __future__ import annotations

from sqlalchemy import select

from gateway.commands.report import Outcome, Report
from gateway.pipeline.context import Context
from gateway.store.model import MessageRef, User


def someone_elses(ctx: Context) -> User | None:
    """The person whose copy this mail answers, when that is not its sender; else None."""
    sender = ctx.sender
    token = ctx.token
    if token is not None:
        if sender is not None and token.user_id == sender.id:
            return None
        return ctx.session.get(User, token.user_id)
    ticket = ctx.ticket
    parents = [i for i in ctx.mail.in_reply_to if i][-10:]
    if ticket is None or not parents:
        return None
    # Only the mail it directly answers: References also carry, in a reply to a
    # participant's reply-all, the copy that participant got, which is no sign of forwarding.
    owners: set[int] = {
        owner
        for owner in ctx.session.scalars(
            select(MessageRef.recipient_id).where(
                MessageRef.message_id.in_(parents),
                MessageRef.ticket_id == ticket.id,
                MessageRef.outgoing.is_(True),
                MessageRef.recipient_id.is_not(None),
            )
        )
        if owner is not None
    }
    if not owners or (sender is not None and sender.id in owners):
        return None
    return ctx.session.get(User, min(owners))


def keep_as_unauthenticated(ctx: Context, owner: User, commands: list[str]) -> None:
    """Mark the mail to be stored hidden as unauthenticated; refuse its commands."""
    who = ctx.sender.email if ctx.sender is not None else ctx.mail.sender.email or "?"
    ctx.note(f"commands: {who} wrote through a copy of the helpdesk's mail to {owner.email}")
    if owner.is_agent:
        ctx.unauthenticated = "the mail came through a reply address signed for an agent"
        # Never relayed nor announced: an agent's forwarded reply address is no news to
        # the other agents, and its receipt goes to the sender's address.
        ctx.quiet = True
    else:
        ctx.unauthenticated = (
            "the mail answers the helpdesk's copy for someone else (forwarded, or written "
            "through their reply address): it counts as nobody's answer; reply to your own "
            "copy"
        )
    ctx.hidden_note = True
    if commands:
        ctx.report = Report(outcomes=[Outcome(line, False, "not executed") for line in commands])
        ctx.report_refusal = ctx.unauthenticated
