"""Spam stage: score the mail; hold spam in quarantine, mark the doubtful as suspect.

Held mail gets state "held": no ticket, no automatic reply; its score and the features
that drove it are kept in `Inbound.origin["spam"]` for the digest and `quarantine list`.
Nothing is held before the model has been taught spam a few times (cold start), while the
stored model cannot be loaded, or when the mail is one that may never be held (rules).
"""

from __future__ import annotations

from typing import Any

from gateway.errors import StopProcessing
from gateway.pipeline.context import Context
from gateway.spam.learning import MARKER, reasons, released_by
from gateway.spam.rules import exemption
from gateway.spam.store import feature_context

_TOP = 5  # features named in the trace and the digest


def describe(top: list[Any]) -> str:
    """The features that pushed a message towards spam, for its trace."""
    return reasons(top, _TOP) or "no one feature"


def run(ctx: Context) -> None:
    cfg = ctx.services.cfg.spam
    if not cfg.enabled:
        return
    releaser = released_by(ctx.inbound)
    if releaser is not None:
        ctx.note(f"spam: released from quarantine by {releaser}; not scored")
        return
    cache = ctx.services.spam
    model = cache.current(ctx.session)
    if model is None:
        if cache.error is not None:
            ctx.note(f"spam: not scored: {cache.error}")
        return
    if not model.trained:
        return  # cold start: too few spam lessons for a score to mean anything
    if cache.features is None:
        cache.features = feature_context(ctx.services.cfg)
    score = model.score(ctx.inbound.raw, cache.features)
    p = score.probability
    if p < cfg.suspect_threshold:
        ctx.note(f"spam: score {p:.3f}")
        return
    top = [[name, weight] for name, weight in score.top_features]
    reason = exemption(ctx)
    if reason is not None:
        ctx.note(f"spam: score {p:.3f}, never held: {reason}")
        return
    held = model.holds(p, cfg.threshold)
    record = {"score": round(p, 4), "top": top, "model_version": cache.version, "held": held}
    ctx.inbound.origin = {**(ctx.inbound.origin or {}), MARKER: record}
    if held:
        # Told in the trace (quarantine list, the digest's reason): such a filter holds
        # nearly everything until one release teaches it what wanted mail looks like.
        note = "; the filter has learned no wanted mail yet" if model.uncalibrated else ""
        raise StopProcessing(f"held as spam (score {p:.3f}: {describe(top)}){note}", state="held")
    ctx.note(f"spam: suspect (score {p:.3f}: {describe(top)})")
