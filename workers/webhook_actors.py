"""The ``webhooks`` queue: outbound webhook deliveries, one attempt per message.

The delivery is recorded before its message is sent and each message names the delivery's
version, so a stale or duplicated message does nothing. A failed attempt is not retried by
Dramatiq: the use case records when the next try is due and the scheduler's sweep queues it
then (postflow/usecases/webhook_deliveries.py). Dramatiq retries only infrastructure faults
(the store unreachable).

Import this module only after :func:`workers.broker.configure_broker`.
"""

from __future__ import annotations

import asyncio

import dramatiq

from postflow.config import Settings
from postflow.errors import PostFlowError
from postflow.usecases.webhook_deliveries import attempt_delivery
from postflow.webhooks.sending import REQUEUE_AFTER
from workers.broker import WEBHOOKS_QUEUE, configured_broker
from workers.worker_runtime import get_runtime

#: An attempt's own timeout is 10 s; this bounds the job around it (the store writes too).
DELIVERY_TIME_LIMIT_MS = 60_000

_configured = configured_broker()


@dramatiq.actor(broker=_configured.broker, queue_name=WEBHOOKS_QUEUE, max_retries=3,
                min_backoff=1_000, max_backoff=30_000, throws=(PostFlowError,),
                time_limit=DELIVERY_TIME_LIMIT_MS)
async def deliver_webhook(org_id: str, delivery_id: str, version: int) -> None:
    """Attempt one delivery if it is still pending at ``version``."""
    await attempt_delivery(await get_runtime(), org_id, delivery_id, version)


class DramatiqWebhookQueue:
    """Hands deliveries to the ``webhooks`` queue; sending talks to Redis synchronously, so it
    runs in a thread."""

    requeue_after = REQUEUE_AFTER

    async def enqueue_delivery(self, org_id: str, delivery_id: str, version: int) -> None:
        await asyncio.to_thread(deliver_webhook.send, org_id, delivery_id, version)


WEBHOOK_ACTORS = (deliver_webhook,)


def bind_webhook_actors(broker: dramatiq.Broker, settings: Settings) -> None:
    """Move the webhook actor to a newly configured broker (called by ``configure_broker``)."""
    for actor in WEBHOOK_ACTORS:
        actor.broker = broker
        broker.declare_actor(actor)
