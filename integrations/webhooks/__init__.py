"""Outbound webhooks' HTTP side: the SSRF-safe sender of deliveries."""
