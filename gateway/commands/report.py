"""What one mail's commands did: each line's outcome and the whole report, for the receipt.

Apart from `execute` so that the pipeline's context can name it without importing commands.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outcome:
    line: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass
class Report:
    """What a mail's commands did, for its receipt."""

    outcomes: list[Outcome] = field(default_factory=list)
    applied: bool = False
    extra_text: list[str] = field(default_factory=list)
    closed: bool = False

    @property
    def failed(self) -> bool:
        return any(not o.ok for o in self.outcomes)
