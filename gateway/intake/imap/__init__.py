"""IMAP intake: pollers, connections, folders, checkpoints, locks and status, one module each."""
