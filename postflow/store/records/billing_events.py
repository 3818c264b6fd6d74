"""Stripe events recorded by the hub and applied by the ``billing`` job.

Global on purpose: an event names its organization only inside Stripe's data, and the job finds
it; listing by organization filters on the organization it was applied to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from postflow.billing.events import BillingEvent


class BillingEventRecords(Protocol):
    async def record_billing_event(self, event: BillingEvent) -> bool:
        """Insert if no event has that id; False when one has (a repeated delivery)."""
        ...

    async def get_billing_event(self, event_id: str) -> BillingEvent:
        """Raises NotFound."""
        ...

    async def save_billing_event(self, event: BillingEvent) -> None:
        """Replace by id (how it was applied); raises NotFound."""
        ...

    async def list_pending_billing_events(self, received_before: datetime,
                                          limit: int) -> list[BillingEvent]:
        """Events still pending that were received before ``received_before``, oldest first."""
        ...

    async def list_billing_events(self, org_id: str | None = None,
                                  limit: int = 100) -> list[BillingEvent]:
        """Newest first; with ``org_id``, those applied to it or naming it."""
        ...
