"""Routes, one module per feature, and the typed keys their handlers read dependencies from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime

BrokerPing = Callable[[], Awaitable[object]]
#: Messages waiting per queue (``composition/queue_depths.py``); /metrics and /readyz read it.
QueueDepths = Callable[[], Awaitable[dict[str, int]]]

RUNTIME = web.AppKey("runtime", Runtime)
PUBLISH_QUEUE = web.AppKey[PublishQueue]("publish_queue")
#: Raises when the message broker cannot be reached; /readyz calls it.
BROKER_PING = web.AppKey[BrokerPing]("broker_ping")
QUEUE_DEPTHS = web.AppKey[QueueDepths]("queue_depths")


async def no_queue_depths() -> dict[str, int]:
    """For an app built without a broker to measure."""
    return {}
