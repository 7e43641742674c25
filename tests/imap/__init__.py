"""Tests of IMAP intake against a real Dovecot."""
