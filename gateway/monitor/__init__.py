"""Observability: the daemon's health as numbers (`helpdesk status`, the Prometheus endpoint)."""
