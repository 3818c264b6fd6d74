"""Stripe events in: recorded first (the id unique), then handed to the ``billing`` job.

The store is the source of truth. An event is recorded before the hub answers 2xx; a lost
message (broker down, restart) leaves a pending record that :func:`requeue_pending_events` (a
scheduler step) hands out again, and a repeated delivery of the same id is recorded once and
applied once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from postflow.billing.events import BillingEvent
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

#: A pending event is handed out again once it is this old (its first message is presumed
#: lost); the job takes seconds, so this leaves it plenty of room.
REQUEUE_AFTER = timedelta(minutes=2)
BATCH = 100


class BillingEventQueue(Protocol):
    async def enqueue_billing_event(self, event_id: str) -> None:
        """Send one ``billing`` job; may raise when the broker is down (the sweep resends)."""
        ...


async def receive_event(rt: Runtime, event: BillingEvent,
                        queue: BillingEventQueue | None) -> bool:
    """Record a verified event and hand it to the job; False when its id was seen before
    (nothing is done again)."""
    if not await rt.store.record_billing_event(event):
        log.info("Stripe event %s (%s) was received before; not applied again", event.id,
                 event.type)
        return False
    await _send(queue, event.id)
    return True


async def requeue_pending_events(rt: Runtime, queue: BillingEventQueue | None,
                                 older_than: timedelta = REQUEUE_AFTER) -> int:
    """Hand out again the recorded events still pending after ``older_than``; how many."""
    if queue is None:
        return 0
    pending = await rt.store.list_pending_billing_events(rt.clock.now() - older_than, BATCH)
    sent = 0
    for event in pending:
        sent += await _send(queue, event.id)
    if sent:
        log.info("handed %d pending Stripe events to the billing job again", sent)
    return sent


async def _send(queue: BillingEventQueue | None, event_id: str) -> bool:
    if queue is None:
        return False
    try:
        await queue.enqueue_billing_event(event_id)
    except Exception:  # the broker is down: the record stays pending, the sweep resends it
        log.warning("could not enqueue Stripe event %s; the scheduler will resend it",
                    event_id, exc_info=True)
        return False
    return True
