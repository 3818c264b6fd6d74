"""Outbound webhooks: endpoints an organization registers, the events PostFlow sends them, and
the log of each delivery and its attempts (docs/webhooks.md)."""
