"""The service-desk rules: statuses, criticality, categories, groups and roles, SLA,
assignment, notifications, replies to closed tickets, attachment limits and ratings.

The pipeline stages (access, route, store, notify) and the agent commands use these
functions; each change records a history event with its actor and never commits.
"""

from gateway.desk.actions import (
    apply_sla,
    assign,
    change_status,
    close,
    move_status,
    rate,
    reopen,
    set_assignee,
    set_category,
    set_criticality,
    set_extra,
)
from gateway.desk.catalog import StatusDef, categories, criticality_levels, ratings, statuses
from gateway.desk.errors import InvalidValue
from gateway.desk.roles import is_agent, role_of

__all__ = [
    "InvalidValue",
    "StatusDef",
    "apply_sla",
    "assign",
    "categories",
    "change_status",
    "close",
    "criticality_levels",
    "is_agent",
    "move_status",
    "rate",
    "ratings",
    "reopen",
    "role_of",
    "set_assignee",
    "set_category",
    "set_criticality",
    "set_extra",
    "statuses",
]
