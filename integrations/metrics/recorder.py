"""Recording into the metrics: the core's :class:`~postflow.telemetry.Telemetry` port, and the
functions adapters call (chat delivery, email)."""

from __future__ import annotations

from integrations.metrics.registry import (
    CHAT_DELIVERIES,
    EMAIL_DELIVERIES,
    PUBLISH_RETRIES,
    PUBLISH_SECONDS,
    PUBLISH_TOTAL,
)

#: An email provider's or chat platform's "slow down" (HTTP 429), as an outcome label.
RATE_LIMITED = "rate_limited"


class PrometheusTelemetry:
    """The core's measurements, into this process's metrics."""

    def publish_attempt_closed(self, network: str, outcome: str, seconds: float) -> None:
        PUBLISH_TOTAL.labels(network=network, outcome=outcome).inc()
        PUBLISH_SECONDS.labels(network=network).observe(seconds)

    def publish_retry_scheduled(self, network: str) -> None:
        PUBLISH_RETRIES.labels(network=network).inc()


def record_chat_delivery(platform: str, outcome: str) -> None:
    """One chat message's delivery ended with ``outcome`` (``sent``, ``rate_limited``...)."""
    CHAT_DELIVERIES.labels(platform=platform, outcome=outcome).inc()


def record_email_delivery(outcome: str) -> None:
    """One email's delivery ended with ``outcome`` (``sent``, ``rate_limited``, ``failed``)."""
    EMAIL_DELIVERIES.labels(outcome=outcome).inc()
