"""A time budget for one message's parsing and sanitising, beyond the size/depth limits.

The limits of html.py bound the work that can be predicted from the markup; a budget
bounds the rest (markup just under the limits on a slow, busy machine, many parts in one
message). Work is checked against it between steps — each HTML part, each slice of
markup fed to the HTML-to-text parser, sanitising — and once it is spent, what is left
is taken as text by stripping tags (linear) and the message is flagged. The clock is
passed in so that tests drive it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

DEFAULT_SECONDS = 5.0


class Budget:
    """Seconds of parsing work allowed for one message, from its creation on."""

    def __init__(
        self, seconds: float = DEFAULT_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._started = clock()
        self.exceeded = False

    def spent(self) -> bool:
        """Whether the budget is used up (it stays so once it was); 0 seconds: no budget."""
        if not self.exceeded and self.seconds > 0:
            self.exceeded = self._clock() - self._started > self.seconds
        return self.exceeded

    def problem(self) -> str:
        return f"parsing took longer than its budget of {self.seconds:g} s"
