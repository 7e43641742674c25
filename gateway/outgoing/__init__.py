"""Outgoing mail: templates, MIME composition, reply tokens, the outbox and its transports."""
