"""The ``billing`` queue: apply one recorded Stripe event (postflow/billing/event_application.py).

The hub records the event before answering Stripe, then sends its id here; the scheduler resends
ids still pending (a lost message loses nothing), and applying an event twice does nothing the
second time. Stripe out of reach is retried with backoff; a domain answer (no such event) is not.

Import this module only after :func:`workers.broker.configure_broker`.
"""

from __future__ import annotations

import asyncio

import dramatiq

from postflow.errors import BillingUnavailable, PostFlowError
from postflow.usecases.billing.event_application import apply_recorded_event
from workers.broker import BILLING_QUEUE, configured_broker
from workers.worker_runtime import get_runtime

APPLY_TIME_LIMIT_MS = 120_000


def _retry_when(retries: int, exception: BaseException) -> bool:
    """Stripe or the store out of reach: again, a few times (the sweep resends later); a domain
    answer (the event is gone): never."""
    if isinstance(exception, PostFlowError) and not isinstance(exception, BillingUnavailable):
        return False
    return retries < 5


_configured = configured_broker()


@dramatiq.actor(broker=_configured.broker, queue_name=BILLING_QUEUE, retry_when=_retry_when,
                min_backoff=2_000, max_backoff=60_000, time_limit=APPLY_TIME_LIMIT_MS)
async def apply_billing_event(event_id: str) -> None:
    """Apply the recorded Stripe event ``event_id`` (once)."""
    await apply_recorded_event(await get_runtime(), event_id)


class DramatiqBillingQueue:
    """Hands event ids to the ``billing`` queue; sending runs in a thread (Redis is sync)."""

    async def enqueue_billing_event(self, event_id: str) -> None:
        await asyncio.to_thread(apply_billing_event.send, event_id)


BILLING_ACTORS = (apply_billing_event,)


def bind_billing_actors(broker: dramatiq.Broker) -> None:
    """Move the billing actor to a newly configured broker (called by ``configure_broker``)."""
    for actor in BILLING_ACTORS:
        actor.broker = broker
        broker.declare_actor(actor)
