"""The processing pipeline: one spooled message through a fixed tuple of small stages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.pipeline.context import Context
from gateway.pipeline.stages import (
    access,
    assign,
    bounce,
    commands,
    dedupe,
    loop_guard,
    notify,
    parse,
    receipts,
    spam,
    spam_feedback,
    store,
    thread,
)


@dataclass(frozen=True)
class Stage:
    """One pipeline stage: reads and extends the context; raises StopProcessing to end."""

    name: str
    run: Callable[[Context], None]


def build_pipeline() -> tuple[Stage, ...]:
    """The pipeline order, in one place (DESIGN: dedupe -> loop guard -> ... -> notify)."""
    return (
        Stage("parse", parse.run),
        Stage("dedupe", dedupe.run),
        Stage("loop_guard", loop_guard.run),
        Stage("bounce", bounce.run),
        Stage("access", access.run),
        Stage("spam", spam.run),
        Stage("thread", thread.run),
        Stage("commands", commands.run),
        Stage("store", store.run),
        Stage("assign", assign.run),
        Stage("spam_feedback", spam_feedback.run),
        Stage("notify", notify.run),
        Stage("receipts", receipts.run),
    )


__all__ = ["Context", "Stage", "build_pipeline"]
