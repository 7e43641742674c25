"""The reason and command an MTA's own sentence gives (see host_rules), before the
generic patterns: qmail's "Connected to ... but my name was rejected" is a refusal at
HELO, whatever its remote's words; Gmail's "(state 14)" a refusal at RCPT."""

from __future__ import annotations

import re

from gateway.bounces.host_rules import COMMANDS, GMAIL_STATES, MESSAGES, REMOTE_THEN_GIVE_UP
from gateway.bounces.patterns import aligned

_STATE = re.compile(r"\(state (\d+)\)")


def host_verdict(text: str) -> tuple[str, str]:
    """(reason, command) the MTA's own sentence in the lower-cased `text` gives, "" each
    when none: "onhold" when the remote's words must decide."""
    command = next((c for phrase, c in COMMANDS if phrase in text), "")
    state = _STATE.search(text)
    if state and state.group(1) in GMAIL_STATES:
        verb, reason = GMAIL_STATES[state.group(1)]
        return reason, command or verb
    if command in ("EHLO", "HELO"):
        return "blocked", command
    if aligned(text, REMOTE_THEN_GIVE_UP):
        return "onhold", command
    for reason, phrases in MESSAGES:
        for phrase in phrases:
            if phrase in text if isinstance(phrase, str) else aligned(text, phrase):
                return reason, command
    return "", command
