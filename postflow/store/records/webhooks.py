"""Outbound webhooks: endpoints, the events sent to them, deliveries and their attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from postflow.webhooks.records import (
    DeliveryAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


class WebhookRecords(Protocol):
    async def insert_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None: ...

    async def get_webhook_endpoint(self, org_id: str, endpoint_id: str) -> WebhookEndpoint:
        """Raises NotFound, also for another organization's endpoint."""
        ...

    async def list_webhook_endpoints(self, org_id: str) -> list[WebhookEndpoint]:
        """Oldest first."""
        ...

    async def update_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None:
        """Replace by (org_id, id); raises NotFound."""
        ...

    async def delete_webhook_endpoint(self, org_id: str, endpoint_id: str) -> None:
        """Delete by (org_id, id); its delivery log stays until purged. Raises NotFound."""
        ...

    async def insert_webhook_event(self, event: WebhookEvent,
                                   deliveries: list[WebhookDelivery]) -> None:
        """Record an event with its first deliveries, before any is handed to a worker."""
        ...

    async def get_webhook_event(self, org_id: str, event_id: str) -> WebhookEvent:
        """Raises NotFound, also for another organization's event."""
        ...

    async def insert_webhook_deliveries(self, deliveries: list[WebhookDelivery]) -> None:
        """More deliveries of recorded events (a replay)."""
        ...

    async def get_webhook_delivery(self, org_id: str, delivery_id: str) -> WebhookDelivery:
        """Raises NotFound."""
        ...

    async def replace_webhook_delivery(self, delivery: WebhookDelivery,
                                       expected_version: int) -> None:
        """Replace if still at ``expected_version`` (``delivery.version`` is the new one);
        Conflict when another writer moved it, NotFound when it is gone."""
        ...

    async def record_webhook_attempt(self, attempt: DeliveryAttempt, delivery: WebhookDelivery,
                                     expected_version: int) -> None:
        """Log ``attempt`` and replace its delivery, together, if the delivery is still at
        ``expected_version``; Conflict (nothing written) otherwise."""
        ...

    async def find_due_webhook_deliveries(self, now: datetime,
                                          limit: int) -> list[WebhookDelivery]:
        """Pending deliveries of every organization whose next attempt is due, soonest first."""
        ...

    async def list_webhook_deliveries(self, org_id: str, *, endpoint_id: str | None = None,
                                      event_id: str | None = None,
                                      limit: int = 50) -> list[WebhookDelivery]:
        """Newest first."""
        ...

    async def list_webhook_attempts(self, org_id: str,
                                    delivery_id: str) -> list[DeliveryAttempt]:
        """Oldest first."""
        ...

    async def purge_webhook_log(self, before: datetime) -> int:
        """Delete events, deliveries and attempts made before ``before``; how many records."""
        ...
