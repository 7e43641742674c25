"""Escalations: the scheduler job that watches the SLA clocks, warns and reports breaches."""
