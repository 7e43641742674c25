"""Nothing from a hidden note reaches a requester.

An answer on its way to a requester is compared with the ticket's hidden notes and with
the wording of the note notices agents get: if it would carry a note's text, or the agent's
mail quotes a note's notice, the answer is held in the outbox (state "held", with the
reason) and the agent is told by a `disclosure_held` receipt. The hold is recorded as
gateway.desk.double records its own, so the agent's `#send` reply, or `helpdesk outbox
release ID`, sends it as it is.
"""

from gateway.disclosure.check import find_leak
from gateway.disclosure.hold import tell_agent

__all__ = ["find_leak", "tell_agent"]
