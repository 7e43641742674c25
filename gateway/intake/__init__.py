"""Intake edges: SMTP, IMAP and the MTA pipe; each stores raw mail in the spool, then acks."""
