"""Endpoints and deliveries as their owners see them (the CLI's ``--json``, the API): never a
secret, sealed or not; times ISO-8601 with their offset."""

from __future__ import annotations

from datetime import datetime

from postflow.webhooks.records import DeliveryAttempt, WebhookDelivery, WebhookEndpoint


def endpoint_view(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {"id": endpoint.id, "org_id": endpoint.org_id, "url": endpoint.url,
            "events": [e.value for e in endpoint.events], "disabled": endpoint.disabled,
            "disabled_reason": endpoint.disabled_reason or None,
            "failing_since": _iso(endpoint.failing_since),
            "created_at": _iso(endpoint.created_at)}


def attempt_view(attempt: DeliveryAttempt) -> dict[str, object]:
    return {"number": attempt.number, "at": _iso(attempt.at),
            "status_code": attempt.status_code, "delivered": attempt.delivered,
            "error": attempt.error or None, "answer": attempt.answer,
            "duration_ms": attempt.duration_ms}


def delivery_view(delivery: WebhookDelivery,
                  attempts: list[DeliveryAttempt]) -> dict[str, object]:
    return {"id": delivery.id, "event_id": delivery.event_id,
            "event_type": delivery.event_type.value, "endpoint_id": delivery.endpoint_id,
            "status": delivery.status.value, "replay": delivery.replay,
            "attempt_count": delivery.attempts,
            "next_attempt_at": _iso(delivery.next_attempt_at),
            "delivered_at": _iso(delivery.delivered_at), "created_at": _iso(delivery.created_at),
            "attempts": [attempt_view(a) for a in attempts]}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
