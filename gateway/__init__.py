"""helpdesk: an email-driven IT service desk (the mail gateway and the ticket rules)."""

__version__ = "0.1.0"
