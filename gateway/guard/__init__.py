"""Defences against hostile or runaway mail that need no database: auto-reply subjects,
repeated texts, bounded HTML work, safe header values and file names."""
