"""Messages waiting in each Dramatiq queue, for /metrics and /readyz.

With Redis, Dramatiq keeps a queue's waiting message ids in the list ``dramatiq:<queue>``
(delayed ones, such as retries, in ``dramatiq:<queue>.DQ``, not counted: they are not due);
the in-process broker keeps a :class:`queue.Queue` per queue.
"""

from __future__ import annotations

import redis.asyncio
from dramatiq import Broker
from dramatiq.brokers.stub import StubBroker

from workers.broker import (
    BILLING_QUEUE,
    CANARY_QUEUE,
    CHAT_QUEUE,
    EMAIL_QUEUE,
    PUBLISH_QUEUE,
    WEBHOOKS_QUEUE,
    PostFlowRedisBroker,
)

#: Always reported, declared or not in this process (the hub declares none itself).
KNOWN_QUEUES = (PUBLISH_QUEUE, CANARY_QUEUE, CHAT_QUEUE, BILLING_QUEUE, EMAIL_QUEUE, WEBHOOKS_QUEUE)
TIMEOUT_SECONDS = 2.0


def watched_queues(broker: Broker) -> list[str]:
    declared = {q for q in broker.get_declared_queues() if not q.endswith((".DQ", ".XQ"))}
    return sorted(declared | set(KNOWN_QUEUES))


async def queue_depths(broker: Broker) -> dict[str, int]:
    """Waiting messages per queue; raises when Redis cannot be reached."""
    names = watched_queues(broker)
    if isinstance(broker, PostFlowRedisBroker):
        client = redis.asyncio.Redis.from_url(broker.redis_url,
                                              socket_connect_timeout=TIMEOUT_SECONDS,
                                              socket_timeout=TIMEOUT_SECONDS)
        try:
            async with client.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.llen(f"{broker.namespace}:{name}")
                lengths = await pipe.execute()
        finally:
            await client.aclose()
        return {name: int(length) for name, length in zip(names, lengths, strict=True)}
    if isinstance(broker, StubBroker):
        return {name: broker.queues[name].qsize() if name in broker.queues else 0
                for name in names}
    return {}
