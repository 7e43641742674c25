"""Agent (and requester) commands: `#` lines at the very top of a mail steer the ticket."""

from gateway.commands.parse import CommandLine, split_commands

__all__ = ["CommandLine", "split_commands"]
