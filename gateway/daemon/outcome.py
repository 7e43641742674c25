"""One spooled message through the pipeline, inside the batch's transaction.

Each message runs in its own savepoint: a message whose handler raises is rolled back
alone and quarantined with its stage and traceback. Everything a message causes — ticket,
events, outgoing mail — commits together with its spool state. Each outcome is logged as
the one line per message an admin greps for, and counted in the metrics.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from gateway.daemon.prepare import Prepared
from gateway.errors import StopProcessing
from gateway.outgoing.outbox import INBOUND_KEY
from gateway.pipeline import Context, Stage
from gateway.services import Services
from gateway.store import direct, fresh
from gateway.store.model import Inbound, utcnow
from gateway.store.precompiled import Precompiled

# The spool row's outcome: the SET clause is the parameters' columns (see finish).
_FINISH = Precompiled(
    update(Inbound.__table__).where(  # type: ignore[arg-type]
        Inbound.__table__.c.id == bindparam("row_id")
    )
)

# The runner's logger: its lines are the runner's, whichever module of it writes them.
log = logging.getLogger("gateway.daemon.runner")


def process_one(
    session: Session,
    services: Services,
    pipeline: Sequence[Stage],
    row: Inbound,
    prepared: Prepared | None = None,
) -> None:
    """Put `row` through `pipeline` in a savepoint; done, stopped or quarantined."""
    ctx = Context(session=session, services=services, inbound=row)
    if prepared is not None:
        _raw, ctx.parsed, ctx.bounce = prepared
        ctx.bounce_read = True
    stage_name = "start"
    session.info[INBOUND_KEY] = row.id
    # What this message creates is known without reading it back (gateway.store.fresh).
    record = fresh.begin(session)
    try:
        # Each message starts with a clean session: its savepoint's release flushed
        # the one before. Within a message, stages flush where they need ids, so the
        # many small queries of the pipeline do not each pay for a flush.
        with session.begin_nested() as savepoint, session.no_autoflush:
            record.savepoint = savepoint
            try:
                for stage in pipeline:
                    stage_name = stage.name
                    stage.run(ctx)
                state = "done"
            except StopProcessing as stop:
                ctx.note(f"{stage_name}: {stop.reason}")
                state = stop.state
            fresh.write_pending(session)
            finish(row, ctx, state)
    except Exception:
        # The savepoint is rolled back: the message is kept with its failing stage.
        # Objects cached for the batch may have come from the rolled-back work, and the
        # objects it inserted directly are gone with it (gateway.store.direct).
        direct.forget(session)
        session.info.clear()
        session.expire(row)
        quarantine(row, stage_name, traceback.format_exc(), ctx.trace)
    finally:
        fresh.end(session)
        session.info.pop(INBOUND_KEY, None)


def finish(row: Inbound, ctx: Context, state: str) -> None:
    """Record the pipeline's outcome `state` on the spool row."""
    values = {
        "state": state,
        "trace": [*ctx.trace],
        "processed_at": utcnow(),
        "message_id": ctx.inbound_message_id if ctx.parsed is not None else row.message_id,
        "dedupe_key": ctx.dedupe_key if ctx.dedupe_key is not None else row.dedupe_key,
        "ticket_id": ctx.ticket.id if ctx.ticket is not None else row.ticket_id,
    }
    # One Core UPDATE, and the row's attributes set as its committed state: through the
    # ORM it was the one change left to flush when the message's savepoint is released.
    _FINISH.execute(ctx.session.connection(), {"row_id": row.id, **values})
    for key, value in values.items():
        set_committed_value(row, key, value)
    _count(state, row)
    tag = ctx.services.tag(ctx.ticket.id) if ctx.ticket is not None else ""
    sender = ctx.parsed.sender.email if ctx.parsed is not None else row.mail_from
    # The one line per message an admin greps for; JSON logs carry the fields apart.
    log.info(
        "message #%d %s: Message-ID %s from %s%s",
        row.id,
        state,
        row.message_id or "-",
        sender or "<>",
        f" ticket {tag}" if tag else "",
        extra={
            "inbound": row.id,
            "outcome": state,
            "message_id": row.message_id or "",
            "sender": sender or "",
            "ticket": tag,
        },
    )


def quarantine(row: Inbound, stage: str, error: str, trace: list[str]) -> None:
    """Keep `row` unprocessed with the stage that failed and why."""
    _count("quarantined", row)
    row.state = "quarantined"
    row.stage = stage
    row.error = error
    row.trace = [*trace, f"{stage}: quarantined"]
    row.processed_at = utcnow()
    log.error(
        "message #%d quarantined at stage %s: Message-ID %s from %s: %s",
        row.id,
        stage,
        row.message_id or "-",
        row.mail_from or "<>",
        error.strip().splitlines()[-1] if error.strip() else "",
        extra={
            "inbound": row.id,
            "outcome": "quarantined",
            "message_id": row.message_id or "",
            "sender": row.mail_from or "",
            "stage": stage,
        },
    )


def _count(outcome: str, row: Inbound) -> None:
    # Imported on first use, so that the daemon can choose prometheus-client's
    # multiprocess mode before this process loads it (gateway.monitor.metrics).
    from gateway.monitor import metrics

    metrics.processed(outcome, row.received_at, utcnow())
