"""Ratings by mail: the closing mail offers one signed mailto: address per grade.

A click in any mail client opens a mail to `support+<token>@...` whose token names the
ticket, the requester and the grade; whatever text the requester adds is the comment.
"""

from __future__ import annotations

from urllib.parse import quote

from gateway import desk
from gateway.outgoing.tokens import make_token, reply_address
from gateway.pipeline.context import Context
from gateway.services import Services
from gateway.store.model import Ticket, User


def links(services: Services, ticket: Ticket, user: User) -> list[dict[str, str]]:
    """[{label, mailto}] for each configured grade."""
    tag = services.tag(ticket.id)
    result = []
    for grade, label in enumerate(desk.ratings(services.cfg)):
        token = make_token(services.secret, "g", ticket.id, user.id, arg=grade)
        address = reply_address(services.cfg.helpdesk.address, token)
        subject = quote(f"[{tag}] {label}")
        result.append(
            {"label": label, "mailto": f"mailto:{address}?subject={subject}", "address": address}
        )
    return result


def record(ctx: Context, comment: str) -> None:
    token, ticket = ctx.token, ctx.ticket
    assert token is not None
    if ticket is None:
        ctx.note("rating: the ticket no longer exists")
        return
    user = ctx.session.get(User, token.user_id)
    if user is None:
        ctx.note("rating: the rating's user no longer exists")
        return
    try:
        desk.rate(ctx.session, ctx.services, ticket, token.arg, comment.strip()[:2000], user)
    except desk.InvalidValue as exc:
        ctx.note(f"rating: {exc}")
        return
    ctx.ticket = ticket
    ctx.note(f"rating: grade {token.arg} for ticket {ticket.id} by {user.email}")
