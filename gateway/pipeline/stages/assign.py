"""Assign stage: a new ticket gets its SLA level and due times, then its assignee by the
rules (gateway.desk.rules). Notices follow in the notify stage."""

from __future__ import annotations

from gateway import desk
from gateway.desk import roles, rules, sla
from gateway.desk.classify import intake_addresses
from gateway.pipeline.context import Context
from gateway.store import tickets


def run(ctx: Context) -> None:
    ticket = ctx.ticket
    if ticket is None or not ctx.new_ticket:
        return
    cfg = ctx.services.cfg
    requester = ticket.requester
    groups = roles.groups_of(cfg, requester.email, requester)
    level = sla.level_for(cfg, groups)
    if level is not None:
        desk.apply_sla(ctx.session, ctx.services, ticket, level.name, "rules")
    if ctx.on_behalf is not None:
        agent = ctx.on_behalf.agent
        desk.set_assignee(ctx.session, ticket, agent, agent.email)
        ctx.note(f"assign: {agent.email}, who took the call")
        return
    origin = ctx.inbound.origin or {}
    facts = rules.Facts(
        category=ticket.category,
        criticality=ticket.criticality,
        mailbox=str(origin.get("mailbox") or ""),
        addresses=intake_addresses(
            ctx.inbound.rcpt_to, [a.email for a in ctx.mail.to + ctx.mail.cc if a.email]
        ),
        groups=groups,
        sender=requester.email,
        subject=ctx.mail.subject,
        body=ctx.mail.body,
    )
    email, why = rules.choose_assignee(cfg, facts)
    if not email:
        ctx.note(f"assign: nobody ({why}); the admins are told")
        return
    user = tickets.get_or_create_user(ctx.session, email)
    desk.set_assignee(ctx.session, ticket, user, "rules")
    ctx.note(f"assign: {email} by {why}")
