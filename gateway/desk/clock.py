"""The SLA clocks of a ticket: response, update and resolution, in business time, with pauses.

A ticket's clocks run in its SLA level's business hours and stop while it is in a status
flagged `pauses_sla` (waiting for the requester); when they resume, every running due time
moves on by the business time spent paused. The first public answer stops the response
clock; each later requester mail starts the update clock (when the criticality has an
`update` target) and an answer stops it. Durations are kept in business seconds without
the pauses, so that the reports aggregate plain columns.

The escalation job reads `next_escalation_at`: the earliest warning or breach moment not
yet done, None while the clocks stand still. Every function takes `now` explicitly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gateway.desk import catalog, ledger, sla
from gateway.settings.config import Config
from gateway.settings.desk import SlaEntry, SlaTarget
from gateway.store import tickets
from gateway.store.model import Ticket

BREACH = "breach"
CLOCKS = ("response", "update", "resolve")


@dataclass(frozen=True)
class Milestone:
    """One moment of one clock: a warning at a fraction of the target, or the breach."""

    clock: str
    mark: str  # "0.75" or "breach"
    at: dt.datetime
    due: dt.datetime

    @property
    def name(self) -> str:
        return f"{self.clock}:{self.mark}"

    @property
    def breach(self) -> bool:
        return self.mark == BREACH


def _level(cfg: Config, ticket: Ticket) -> SlaEntry | None:
    return sla.level_named(cfg, ticket.sla_level) if ticket.sla_level else None


def _calendar(cfg: Config, ticket: Ticket) -> sla.Calendar:
    level = _level(cfg, ticket)
    return sla.Calendar.of(level) if level is not None else sla.Calendar()


def _target(cfg: Config, ticket: Ticket) -> SlaTarget | None:
    level = _level(cfg, ticket)
    if level is None:
        return None
    return next((t for t in level.targets if t.criticality == ticket.criticality), None)


def business_seconds(start: dt.datetime, end: dt.datetime, calendar: sla.Calendar) -> int:
    """Working seconds between two moments (0 when `end` is not after `start`)."""
    if end <= start:
        return 0
    if not calendar.business:
        return int((end - start).total_seconds())
    return ledger.of(calendar, start).seconds(start, end)


def elapsed(cfg: Config, ticket: Ticket, now: dt.datetime) -> int:
    """Business seconds the ticket's clocks have run since it opened (pauses left out)."""
    calendar = _calendar(cfg, ticket)
    paused = ticket.sla_paused_s
    if ticket.sla_paused_at is not None:
        paused += business_seconds(ticket.sla_paused_at, now, calendar)
    return max(business_seconds(ticket.created_at, now, calendar) - paused, 0)


def milestones(cfg: Config, ticket: Ticket) -> list[Milestone]:
    """Every warning and breach moment of the clocks now running, earliest first."""
    if ticket.closed or ticket.sla_paused_at is not None:
        return []
    calendar = _calendar(cfg, ticket)
    fractions = sorted(set(cfg.escalation.warn_at))
    running: list[tuple[str, dt.datetime, dt.datetime, int]] = []
    if ticket.response_due_at is not None and ticket.first_response_at is None:
        running.append(("response", ticket.created_at, ticket.response_due_at, ticket.sla_paused_s))
    if ticket.update_due_at is not None and ticket.update_started_at is not None:
        running.append(("update", ticket.update_started_at, ticket.update_due_at, 0))
    if ticket.resolve_due_at is not None:
        running.append(("resolve", ticket.created_at, ticket.resolve_due_at, ticket.sla_paused_s))
    found: list[Milestone] = []
    for clock, start, due, paused in running:
        # The pauses so far moved the due time on; the target itself is what remains.
        amount = max(business_seconds(start, due, calendar) - paused, 0)
        for fraction in fractions:
            at = sla.add_business_time(
                start, dt.timedelta(seconds=paused + fraction * amount), calendar
            )
            found.append(Milestone(clock, f"{fraction:g}", at, due))
        found.append(Milestone(clock, BREACH, due, due))
    return sorted(found, key=lambda m: m.at)


def schedule(cfg: Config, ticket: Ticket) -> None:
    """Set the next moment the escalation job must look at this ticket."""
    done = set(ticket.escalated or [])
    pending = [m.at for m in milestones(cfg, ticket) if m.name not in done]
    ticket.next_escalation_at = min(pending) if pending else None


def _shift(due: dt.datetime | None, paused: int, calendar: sla.Calendar) -> dt.datetime | None:
    if due is None or paused <= 0:
        return due
    return sla.add_business_time(due, dt.timedelta(seconds=paused), calendar)


def pause(session: Session, ticket: Ticket, actor: str, now: dt.datetime) -> None:
    if ticket.sla_paused_at is not None:
        return
    ticket.sla_paused_at = now
    ticket.next_escalation_at = None
    tickets.add_event(session, ticket, "sla_paused", actor=actor, new=ticket.status)


def resume(session: Session, cfg: Config, ticket: Ticket, actor: str, now: dt.datetime) -> None:
    """Start the clocks again; the running due times move on by the paused business time."""
    if ticket.sla_paused_at is None:
        return
    calendar = _calendar(cfg, ticket)
    paused = business_seconds(ticket.sla_paused_at, now, calendar)
    ticket.sla_paused_s += paused
    ticket.sla_paused_at = None
    if ticket.first_response_at is None:
        ticket.response_due_at = _shift(ticket.response_due_at, paused, calendar)
    ticket.update_due_at = _shift(ticket.update_due_at, paused, calendar)
    ticket.resolve_due_at = _shift(ticket.resolve_due_at, paused, calendar)
    tickets.add_event(session, ticket, "sla_resumed", actor=actor, new=f"paused {paused} s")
    schedule(cfg, ticket)


def status_changed(
    session: Session, cfg: Config, ticket: Ticket, old: str, actor: str, now: dt.datetime
) -> None:
    """After a status change: pause, resume, stop (resolution) or restart (reopening)."""
    if ticket.closed:
        if ticket.sla_paused_at is not None:
            resume(session, cfg, ticket, actor, now)
        if ticket.resolution_s is None:
            ticket.resolution_s = elapsed(cfg, ticket, now)
        if ticket.resolve_due_at is not None and now > ticket.resolve_due_at:
            ticket.breached = True
        ticket.update_due_at = ticket.update_started_at = None
        ticket.next_escalation_at = None
        return
    if catalog.is_closed(cfg, old):
        ticket.resolution_s = None  # reopened: the resolution clock runs on
    if catalog.pauses_sla(cfg, ticket.status):
        pause(session, ticket, actor, now)
    else:
        resume(session, cfg, ticket, actor, now)
        schedule(cfg, ticket)


def answered(cfg: Config, ticket: Ticket, now: dt.datetime) -> None:
    """An agent's public answer: the first stops the response clock; any stops the update one."""
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        ticket.first_response_s = elapsed(cfg, ticket, now)
        if ticket.response_due_at is not None and now > ticket.response_due_at:
            ticket.breached = True
    if ticket.update_due_at is not None and now > ticket.update_due_at:
        ticket.breached = True
    ticket.update_due_at = ticket.update_started_at = None
    schedule(cfg, ticket)


def requester_wrote(cfg: Config, ticket: Ticket, now: dt.datetime) -> None:
    """A later requester mail on an answered ticket starts the update clock."""
    target = _target(cfg, ticket)
    if ticket.closed or ticket.first_response_at is None or target is None or not target.update:
        return
    calendar = _calendar(cfg, ticket)
    amount = sla.duration(target.update, calendar)
    if amount is None or ticket.update_due_at is not None:
        return  # an update clock already runs: the earlier mail is still unanswered
    ticket.update_started_at = now
    ticket.update_due_at = sla.add_business_time(now, amount, calendar)
    ticket.escalated = [m for m in ticket.escalated or [] if not m.startswith("update:")]
    schedule(cfg, ticket)


def recompute(
    session: Session, cfg: Config, ticket: Ticket, reason: str, actor: str, now: dt.datetime
) -> None:
    """Due times again from the opening for the ticket's level and criticality, moved on by
    the pauses so far; recorded in the history with the reason (reassignment, criticality)."""
    level = _level(cfg, ticket)
    old = (ticket.response_due_at, ticket.resolve_due_at)
    if level is None:
        return
    response, resolve = sla.due_times(level, ticket.criticality, ticket.created_at)
    calendar = sla.Calendar.of(level)
    ticket.response_due_at = _shift(response, ticket.sla_paused_s, calendar)
    ticket.resolve_due_at = _shift(resolve, ticket.sla_paused_s, calendar)
    target = _target(cfg, ticket)
    if ticket.update_started_at is not None:
        amount = sla.duration(target.update, calendar) if target and target.update else None
        ticket.update_due_at = (
            sla.add_business_time(ticket.update_started_at, amount, calendar) if amount else None
        )
        if amount is None:
            ticket.update_started_at = None
    # Milestones not yet reached under the new targets are to be sent again.
    ticket.escalated = [
        m for m in ticket.escalated or [] if _reached(m, ticket, now, cfg) or m.endswith(BREACH)
    ]
    schedule(cfg, ticket)
    tickets.add_event(
        session,
        ticket,
        "sla_recomputed",
        actor=actor,
        old=f"response by {_iso(old[0])}, resolve by {_iso(old[1])}",
        new=f"{reason}: response by {_iso(ticket.response_due_at)}, "
        f"resolve by {_iso(ticket.resolve_due_at)}",
    )


def _reached(name: str, ticket: Ticket, now: dt.datetime, cfg: Config) -> bool:
    return any(m.name == name and m.at <= now for m in milestones(cfg, ticket))


def _iso(value: dt.datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value is not None else "-"
