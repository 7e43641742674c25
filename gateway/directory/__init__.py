"""The directory: the people and organisations the desk serves, and their client cards.

records.py reads CSV, TOML or JSON files into records (naming malformed rows by line);
importer.py applies them idempotently with a report of what changed; card.py builds the
compact card that notifications and `#card` carry, with secret fields left out.
"""
