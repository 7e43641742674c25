"""The ticket list's columns (table, CSV) in SPEC's order, and its default page size."""

from __future__ import annotations

TICKET_COLUMNS = (
    "id",
    "tag",
    "status",
    "indicator",
    "criticality",
    "category",
    "requester",
    "assignee",
    "subject",
    "messages",
    "updated_at",
)

# Tickets on a page unless --limit says otherwise.
DEFAULT_LIMIT = 50
