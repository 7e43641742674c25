"""One escalation check: every ticket whose next SLA milestone has come, in one transaction.

A ticket is read only when its `next_escalation_at` has passed (an index range), so a check
costs the tickets that crossed, not the open ones. Each milestone is done once per ticket:
it is recorded in the ticket's `escalated` list and as an `escalation` event. Warnings go
to the assignee (every admin while nobody is assigned); breaches to the assignee and to
`[escalation] breach_to` (every admin when empty). However many tickets cross at once,
each person gets one mail per check listing all of theirs.

On PostgreSQL several daemons run the job: a transaction-scoped advisory lock lets one of
them do a tick while the others skip it; SQLite serialises writers anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.desk import clock, roles
from gateway.outgoing import bulk
from gateway.services import Services
from gateway.store import tickets
from gateway.store.model import Ticket, User

log = logging.getLogger(__name__)

# The advisory lock's key: any constant the other jobs do not use ("escalate" in ASCII).
LOCK_KEY = 0x657363616C617465
# Tickets handled per check; the rest wait for the next tick (their time stays passed).
BATCH = 5000
EVENT = "escalation"


@dataclass
class CheckResult:
    tickets: int = 0
    milestones: int = 0
    mails: int = 0
    skipped: bool = False
    recipients: list[str] = field(default_factory=list)


def _locked(session: Session) -> bool:
    """Whether this transaction may do the tick (always on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(LOCK_KEY))))


def _breach_people(session: Session, services: Services) -> list[User]:
    wanted = [a.lower() for a in services.cfg.escalation.breach_to]
    if not wanted:
        return roles.admins(session, services.cfg)
    return [tickets.get_or_create_user(session, email, "") for email in wanted]


def run_check(session: Session, services: Services, now: dt.datetime) -> CheckResult:
    """Do the milestones due at `now`; queue one mail per recipient. Never commits."""
    result = CheckResult()
    if not _locked(session):
        result.skipped = True
        return result
    cfg = services.cfg
    query = (
        select(Ticket)
        .where(Ticket.next_escalation_at.is_not(None), Ticket.next_escalation_at <= now)
        .order_by(Ticket.next_escalation_at)
        .limit(BATCH)
    )
    found = list(session.scalars(query).unique())
    if not found:
        return result
    admins: list[User] | None = None
    breach_people: list[User] | None = None
    by_person: dict[int, tuple[User, list[dict[str, Any]]]] = {}
    # The milestones' events in one statement: a check may cross thousands at once.
    history = tickets.History()
    for ticket in found:
        done = list(ticket.escalated or [])
        crossed = [m for m in clock.milestones(cfg, ticket) if m.at <= now and m.name not in done]
        # Of one clock only the furthest milestone is told (a late check tells the breach,
        # not the warning before it as well); every crossed one is recorded.
        furthest: dict[str, clock.Milestone] = {}
        for m in crossed:
            done.append(m.name)
            furthest[m.clock] = m
            history.add(ticket, EVENT, actor="sla", new=m.name)
            result.milestones += 1
        for m in furthest.values():
            people: list[User] = []
            if ticket.assignee is not None:
                people.append(ticket.assignee)
            elif admins is None:
                admins = roles.admins(session, cfg)
            if m.breach:
                ticket.breached = True
                if breach_people is None:
                    breach_people = _breach_people(session, services)
                people += breach_people
            elif ticket.assignee is None:
                people += admins or []
            item = _item(services, ticket, m)
            for person in people:
                by_person.setdefault(person.id, (person, []))[1].append(item)
        ticket.escalated = done
        clock.schedule(cfg, ticket)
        result.tickets += 1
    history.write(session)
    for person, items in by_person.values():
        breaches = sum(1 for i in items if i["breach"])
        queued = bulk.queue_to(
            session,
            services,
            [person],
            bulk.Bulk(
                event=EVENT,
                context={"items": items, "breaches": breaches, "warnings": len(items) - breaches},
                mid_prefix="hd.escalation.",
            ),
            now,
        )
        result.mails += len(queued)
        result.recipients += [q.recipient.email for q in queued]
    log.info(
        "escalation: %d milestone(s) on %d ticket(s), %d mail(s)",
        result.milestones,
        result.tickets,
        result.mails,
    )
    return result


def _item(services: Services, ticket: Ticket, m: clock.Milestone) -> dict[str, Any]:
    return {
        "tag": services.tag(ticket.id),
        "subject": ticket.subject,
        "clock": m.clock,
        "mark": m.mark,
        "breach": m.breach,
        "percent": 100 if m.breach else round(float(m.mark) * 100),
        "due": m.due,
        "assignee": ticket.assignee.email if ticket.assignee is not None else "",
    }
