"""What the charts show, from the database (kept apart so that only the drawing needs
matplotlib)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gateway.reports.figures import Figures, Period
from gateway.reports.series import daily, messages_per_ticket, resolution_times
from gateway.settings.config import Config


def collect(session: Session, cfg: Config, period: Period) -> dict[str, Any]:
    categories = Figures(session, cfg, period, "category").opened()
    agents = Figures(session, cfg, period, "agent").first_responses()
    return {
        "days": daily(session, cfg, period),
        "resolutions": resolution_times(session, period),
        "messages_per_ticket": messages_per_ticket(session, period),
        "categories": [{"key": k, "opened": v[0]} for k, v in sorted(categories.items())],
        "agents": [
            {"key": k, "first_response": {"median_s": v.median_s}}
            for k, v in sorted(agents.items())
        ],
    }
